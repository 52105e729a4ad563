from labeler.cli import main

main(prog_name="labeler")
