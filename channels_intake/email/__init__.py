"""The email channel: parsing raw mail, classifying machine mail, threading, sending replies."""
