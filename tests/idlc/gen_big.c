/*
 * gen_big.c: writes a large schema to stdout, for timing nexus-idlc
 * (docs/idlc.md, "Performance"): N messages (default 210, about 5,000
 * lines) of 19 fields each, with constants, an enum, defaults, arrays,
 * sequences and a topic per message.
 *
 *   gen-big-schema [N] > big.nidl
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 210;
    if (n < 1) {
        fprintf(stderr, "usage: gen-big-schema [N]\n");
        return 2;
    }
    printf("package big.schema;\n\nconst uint32 N = 4;\n"
           "enum Level : uint8 { LOW, MID, HIGH }\n\n");
    for (long i = 0; i < n; i++) {
        printf(
            "/// Struct number %ld.\nmessage M%ld {\n"
            "    uint64 seq;\n    int32 a = -1;\n    float64 b = 2.5;\n    bool c = true;\n"
            "    string<31> name = \"m%ld\";\n    bytes<64> blob;\n"
            "    sequence<uint16, N> shorts;\n    Level level = MID;\n    uint8 grid[2][3];\n"
            "    float32 v[N];\n    char tag;\n    int8 i8;\n    int16 i16;\n"
            "    uint32 u32;\n    sequence<Level, 3> levels;\n    string<7> labels[2];\n"
            "    int64 prev_seq;\n    bool prev_ok;\n    uint16 last;\n}\n"
            "topic t%ld : M%ld;\n\n",
            i, i, i, i, i);
    }
    return ferror(stdout) ? 1 : 0;
}
