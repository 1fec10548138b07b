"""The Hugging Face Hub side: archive format, simulator, local Hub server, client resource and snapshot assets."""
