/*
 * Quantities as people write them in scenarios: "2ms", "1kHz", "100Mbps",
 * "900KiB", "8Gi", "500m" (millicores, as Kubernetes), "45C", "99.9%".
 * Each parser takes the whole string (surrounding blanks allowed), rejects
 * garbage, negative values and overflow, and on failure returns a negative
 * TS_ code with *why pointing at a static sentence saying what was expected.
 */
#ifndef TOPOSIM_UNITS_H
#define TOPOSIM_UNITS_H

#include <stdint.h>

/* Duration: ns, us, ms, s (also "min", "h"); decimals allowed ("1.5ms").
 * Result in integer nanoseconds, rounded to nearest. A bare number is an
 * error (the unit is required). */
int ts_unit_time(const char *text, int64_t *ns, const char **why);

/* Frequency: Hz, kHz, MHz, GHz. Result in hertz, > 0. */
int ts_unit_frequency(const char *text, double *hz, const char **why);

/* Rate given either as a frequency ("1kHz") or as a period ("1ms");
 * result is the period in integer nanoseconds, > 0. */
int ts_unit_period(const char *text, int64_t *ns, const char **why);

/* Bit rate: bps, kbps, Mbps, Gbps (decimal SI prefixes). Result in bits/s. */
int ts_unit_bitrate(const char *text, double *bps, const char **why);

/* Size: B, KB/MB/GB (10^3), KiB/MiB/GiB (2^10), and Kubernetes Ki/Mi/Gi,
 * k/M/G. A bare integer means bytes. Result in integer bytes. */
int ts_unit_bytes(const char *text, int64_t *bytes, const char **why);

/* CPU: "500m" millicores or a plain number of cores ("2", "1.5").
 * Result in millicores. */
int ts_unit_cpu(const char *text, int64_t *millicores, const char **why);

/* Percentage "99.9%" (or a bare fraction "0.999"). Result as a fraction
 * in [0, 1]. */
int ts_unit_fraction(const char *text, double *fraction, const char **why);

/* Temperature "45C" (also "45°C"). Result in degrees Celsius (may be
 * negative, not below absolute zero). */
int ts_unit_celsius(const char *text, double *celsius, const char **why);

#endif
