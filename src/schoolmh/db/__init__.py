"""Storage: the encrypted SQLCipher database, its key file and schema. Only services import this."""
