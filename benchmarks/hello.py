"""The yardstick of the throughput rows: a bare Flask app answering "hello", served and loaded like the portal."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"
