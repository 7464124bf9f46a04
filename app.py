from c2c_safety import create_app

app = create_app()
