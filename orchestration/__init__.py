"""hubpulse: an orchestrated ELT warehouse of the open-model ecosystem on the Hugging Face Hub."""
