"""The AWS emulator the tests run against: moto in server mode on 127.0.0.1,
with the patches that close the gaps moto has for this project."""
