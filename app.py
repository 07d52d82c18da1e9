from mediation import create_app

app = create_app()
