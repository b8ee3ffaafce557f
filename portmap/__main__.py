from portmap.cli.main import main

main()
