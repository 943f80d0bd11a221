from tempgen.cli import main

main()
