/* gnuplot scripts: each draws its plot twice, as PNG and as SVG, from CSV
 * data in the same folder. Run by toposim, the images go to temporary
 * names (out_prefix / out_suffix, given with -e) and are renamed once
 * gnuplot succeeded; run by hand (`gnuplot NAME.gp`) they go straight to
 * NAME.png and NAME.svg. */
#include "report/report_internal.h"

#define TS__PLOT_WIDTH 960

void ts__gp_str(FILE *fp, const char *s)
{
    /* gnuplot performs no escapes and no backquote substitution inside
     * single quotes; '' is a quote (gnuplot 5.4 manual, "Quote Marks"). */
    fputc('\'', fp);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '\'')
            fputs("''", fp);
        else if (*c >= 0x20 && *c != 0x7f)
            fputc(*c, fp);
    }
    fputc('\'', fp);
}

int ts__gp_open(const ts__report *r, const ts__plot *p, int height, ts__atomic_file *f,
                ts_error *err)
{
    char name[TS__STEM_LEN + 8];
    snprintf(name, sizeof name, "%s.gp", p->stem);
    int rc = ts__report_open(r, name, f, err);
    if (rc != TS_OK)
        return rc;
    FILE *fp = f->fp;
    fputs("# toposim report: ", fp);
    for (const char *c = p->title; *c; c++)
        fputc((unsigned char)*c < 0x20 ? ' ' : *c, fp);
    fprintf(fp, "\n# Draws %s.png and %s.svg from", p->stem, p->stem);
    for (int i = 0; i < p->n_data; i++)
        fprintf(fp, " %s", p->data[i]);
    fprintf(fp, ":\n#   gnuplot %s.gp   (in this folder)\n", p->stem);
    fputs("reset\n"
          "if (!exists(\"out_prefix\")) out_prefix = ''\n"
          "if (!exists(\"out_suffix\")) out_suffix = ''\n"
          "set datafile separator comma\n"
          "set datafile columnheaders\n"
          "do for [ts_pass = 1:2] {\n"
          "  if (ts_pass == 1) {\n", fp);
    fprintf(fp, "    set terminal pngcairo size %d,%d noenhanced font 'sans,9'\n",
            TS__PLOT_WIDTH, height);
    fprintf(fp, "    set output out_prefix.'%s.png'.out_suffix\n", p->stem);
    fputs("  } else {\n", fp);
    fprintf(fp, "    set terminal svg size %d,%d noenhanced font 'sans,9' "
                "background rgb 'white'\n", TS__PLOT_WIDTH, height);
    fprintf(fp, "    set output out_prefix.'%s.svg'.out_suffix\n", p->stem);
    fputs("  }\n", fp);
    return TS_OK;
}

int ts__gp_close(ts__atomic_file *f, ts_error *err)
{
    fputs("}\nset output\n", f->fp);
    return ts__atomic_commit(f, err);
}
