from labeler.cli import run

run()
