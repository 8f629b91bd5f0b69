"""The demo home: a synthetic province → city → county → two schools, their systems."""
