"""The baseline of bench/pages.py: one bare Flask route, nothing else."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "<!doctype html><title>bare</title><p>Hello"
