//! A real HTTP server on 127.0.0.1 serving fixture files (vendor tests).
