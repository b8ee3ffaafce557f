from portmap.main import main

main()
