// Placeholder for a test whose sources are missing (see tests/CMakeLists.txt).
int main() { return 1; }
