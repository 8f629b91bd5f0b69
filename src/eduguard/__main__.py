from eduguard.cli.main import app

app(prog_name="eduguard")
