"""Broken: importing it never finishes."""
import threading

from flask import Flask

app = Flask(__name__)
threading.Event().wait()
