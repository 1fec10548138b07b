from orchestration.cli.main import main

raise SystemExit(main())
