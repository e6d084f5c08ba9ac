/*
 * Build helper: turns a file into a C array so the binary carries its XSD
 * and never depends on where it was installed. Written here because xxd
 * is not on a bare Debian (it ships with vim).
 * usage: embed SYMBOL INPUT OUTPUT.c
 */
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: embed SYMBOL INPUT OUTPUT.c\n");
        return 2;
    }
    FILE *in = fopen(argv[2], "rb");
    if (!in) {
        perror(argv[2]);
        return 2;
    }
    FILE *out = fopen(argv[3], "w");
    if (!out) {
        perror(argv[3]);
        fclose(in);
        return 2;
    }
    fprintf(out, "/* Generated from %s; do not edit. */\n#include <stddef.h>\n"
                 "const char %s[] = {\n", argv[2], argv[1]);
    size_t n = 0;
    int c;
    while ((c = fgetc(in)) != EOF) {
        fprintf(out, "%d,%s", c, (++n % 20) ? "" : "\n");
    }
    fprintf(out, "0};\nconst size_t %s_len = %zu;\n", argv[1], n);
    fclose(in);
    return fclose(out) == 0 ? 0 : 2;
}
