"""Broken: fails while being imported."""
import os

from flask import Flask

app = Flask(__name__)
SETTINGS = os.environ["HITS_SETTINGS_THAT_DO_NOT_EXIST"]
