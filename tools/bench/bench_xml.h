/*
 * Scenario text for the benches, generated in memory: the humanoid fleet
 * of bench_fleet (robots sharing Wi-Fi access points, an edge rack, a
 * cloud region), humanoid-basic's robot as a <fleet> (bench_topology,
 * bench_trace) and the star fleet of the performance comparison
 * (/work/shared/peers/gen_star.py's default form: N robots, each one
 * computer on its own 100 Mbit/s, 2 ms link to one edge host, publishing
 * 1000 B every 10 ms to one sink there). Header-only: each bench is one
 * program.
 */
#ifndef TOPOSIM_BENCH_XML_H
#define TOPOSIM_BENCH_XML_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ROBOTS_PER_AP
#define ROBOTS_PER_AP 10
#endif

typedef struct text {
    char *buf;
    size_t len, cap;
} text;

static inline void put(text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void put(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap * 2 + (size_t)n + 1;
        t->buf = realloc(t->buf, t->cap);
        if (!t->buf) {
            perror("bench_fleet");
            exit(2);
        }
    }
}

/* One scenario: each robot has a real-time computer and a Jetson; every
 * ten robots share an access point wired to the edge rack's switch; the
 * rack reaches the cloud over a WAN. Robot components are pinned to their
 * robot (the fleet element that will do this is not there yet). */
static inline char *fleet_scenario(int robots, int sim_seconds, size_t *len)
{
    text t = {malloc(1 << 16), 0, 1 << 16};
    int aps = (robots + ROBOTS_PER_AP - 1) / ROBOTS_PER_AP;
    int servers = robots / 10 + 1;
    put(&t, "<scenario name=\"fleet-%d\" seed=\"1\" duration=\"%ds\">\n<platform>\n",
        robots, sim_seconds);
    for (int r = 0; r < robots; r++)
        put(&t, "<robot id=\"r%d\"><computer id=\"r%d_rt\" cores=\"8\" memory=\"16GiB\"/>"
                "<jetson id=\"r%d_jet\" model=\"jetson-orin-nx-16gb\"/><switch id=\"r%d_sw\"/></robot>\n",
            r, r, r, r);
    put(&t, "<edge id=\"rack\">");
    for (int s = 0; s < servers; s++)
        put(&t, "<server id=\"edge%d\" model=\"edge-server-x86-gpu\"/>", s);
    put(&t, "<switch id=\"tor\"/></edge>\n<cloud id=\"region\"><node id=\"cloud1\" "
            "model=\"cloud-vm-16\" cores=\"64\" memory=\"256GiB\"/><switch id=\"gw\"/></cloud>\n");
    /* Each access point's air time is one shared medium. */
    for (int a = 0; a < aps; a++)
        put(&t, "<switch id=\"ap%d\"/><medium id=\"ap%d_air\" capacity=\"600Mbps\" "
                "latency=\"1ms\" queue=\"16MiB\"/><link id=\"ap%d_up\" from=\"ap%d\" "
                "to=\"tor\" model=\"10gbe\" queue=\"8MiB\"/>\n", a, a, a, a);
    for (int s = 0; s < servers; s++)
        put(&t, "<link id=\"edge%d_eth\" from=\"edge%d\" to=\"tor\" model=\"10gbe\" queue=\"8MiB\"/>\n",
            s, s);
    put(&t, "<link id=\"wan\" from=\"tor\" to=\"gw\" model=\"wan\" queue=\"16MiB\"/>\n"
            "<link id=\"cloud_eth\" from=\"cloud1\" to=\"gw\" model=\"10gbe\"/>\n");
    for (int r = 0; r < robots; r++)
        put(&t, "<link id=\"r%d_e1\" from=\"r%d_rt\" to=\"r%d_sw\" model=\"gbe\"/>"
                "<link id=\"r%d_e2\" from=\"r%d_jet\" to=\"r%d_sw\" model=\"gbe\" queue=\"1MiB\"/>"
                "<link id=\"r%d_wifi\" from=\"r%d_sw\" to=\"ap%d\" medium=\"ap%d_air\" "
                "queue=\"2MiB\"/>\n",
            r, r, r, r, r, r, r, r, r / ROBOTS_PER_AP, r / ROBOTS_PER_AP);
    put(&t, "</platform>\n<components>\n");
    for (int r = 0; r < robots; r++)
        put(&t,
            "<component id=\"r%d_control\" rate=\"1kHz\" exec=\"200us\" exec-min=\"150us\" "
            "priority=\"90\" cpu=\"500m\" memory=\"64MiB\" node=\"r%d_rt\"/>"
            "<component id=\"r%d_balance\" rate=\"500Hz\" exec=\"400us\" exec-min=\"300us\" "
            "priority=\"80\" cpu=\"500m\" memory=\"64MiB\" node=\"r%d_rt\"/>"
            "<component id=\"r%d_camera\" rate=\"30Hz\" exec=\"3ms\" exec-min=\"2ms\" "
            "cpu=\"500m\" memory=\"256MiB\" node=\"r%d_jet\"/>"
            "<component id=\"r%d_vision\" rate=\"30Hz\" exec=\"8ms\" exec-min=\"6ms\" "
            "cpu=\"1\" memory=\"1GiB\" flags=\"computation-heavy\"/>"
            "<component id=\"r%d_status\" rate=\"10Hz\" exec=\"100us\" cpu=\"100m\" "
            "memory=\"16MiB\" node=\"r%d_rt\"/>\n",
            r, r, r, r, r, r, r, r, r);
    put(&t, "<component id=\"coordinator\" rate=\"10Hz\" exec=\"2ms\" cpu=\"2\" "
            "memory=\"1GiB\" flags=\"data-processing\"/>\n</components>\n<topics>\n");
    for (int r = 0; r < robots; r++)
        put(&t,
            "<topic id=\"r%d_joints\" publisher=\"r%d_control\" subscribers=\"r%d_balance\" "
            "size=\"512B\" budget=\"1ms\"/>"
            "<topic id=\"r%d_image\" publisher=\"r%d_camera\" subscribers=\"r%d_vision\" "
            "size=\"100KiB\" budget=\"60ms\"/>"
            "<topic id=\"r%d_objects\" publisher=\"r%d_vision\" subscribers=\"r%d_balance\" "
            "size=\"4KiB\" budget=\"60ms\"/>"
            "<topic id=\"r%d_telemetry\" publisher=\"r%d_status\" subscribers=\"coordinator\" "
            "size=\"2KiB\" budget=\"200ms\"/>\n",
            r, r, r, r, r, r, r, r, r, r, r);
    put(&t, "</topics>\n</scenario>\n");
    *len = t.len;
    return t.buf;
}

/* humanoid-basic's robot (real-time computer, Jetson, eight components,
 * six topics) as a <fleet> template copied to N robots on one access
 * point, with an edge server and a cloud VM. */
static inline char *humanoid_fleet(int robots, int sim_seconds, size_t *len)
{
    const char *fmt =
        "<scenario name=\"humanoid-fleet-%d\" seed=\"42\" duration=\"%ds\">\n"
        "<platform>\n"
        "<robot id=\"h1\"><computer id=\"h1_rt\" cores=\"8\" memory=\"16GiB\"/>"
        "<jetson id=\"h1_jetson\" model=\"jetson-orin-nx-16gb\"/><switch id=\"h1_switch\"/></robot>\n"
        "<edge id=\"rack\"><server id=\"edge1\" model=\"edge-server-x86-gpu\"/>"
        "<switch id=\"edge_tor\"/></edge>\n"
        "<cloud id=\"region\"><node id=\"cloud1\" model=\"cloud-vm-16\"/>"
        "<switch id=\"cloud_gw\"/></cloud>\n"
        "<switch id=\"ap1\"/>\n"
        "<link id=\"h1_eth_rt\" from=\"h1_rt\" to=\"h1_switch\" model=\"gbe\"/>\n"
        "<link id=\"h1_eth_jetson\" from=\"h1_jetson\" to=\"h1_switch\" model=\"gbe\"/>\n"
        "<link id=\"wifi\" from=\"h1_switch\" to=\"ap1\" model=\"wifi6\"/>\n"
        "<link id=\"ap_uplink\" from=\"ap1\" to=\"edge_tor\" model=\"10gbe\"/>\n"
        "<link id=\"edge1_eth\" from=\"edge1\" to=\"edge_tor\" model=\"10gbe\"/>\n"
        "<link id=\"wan\" from=\"edge_tor\" to=\"cloud_gw\" model=\"wan\"/>\n"
        "<link id=\"cloud1_net\" from=\"cloud1\" to=\"cloud_gw\" model=\"10gbe\"/>\n"
        "</platform>\n<components>\n"
        "<component id=\"control_loop\" robot=\"h1\" node=\"h1_rt\" rate=\"1kHz\" exec=\"200us\" "
        "exec-min=\"150us\" priority=\"90\" cpu=\"500m\" memory=\"64MiB\" "
        "flags=\"real-time-critical safety-critical\"/>\n"
        "<component id=\"balance_controller\" robot=\"h1\" node=\"h1_rt\" rate=\"500Hz\" "
        "exec=\"400us\" exec-min=\"300us\" priority=\"80\" cpu=\"500m\" memory=\"128MiB\" "
        "flags=\"real-time-critical\"/>\n"
        "<component id=\"safety_monitor\" robot=\"h1\" node=\"h1_rt\" rate=\"200Hz\" "
        "exec=\"100us\" priority=\"95\" cpu=\"250m\" memory=\"64MiB\" "
        "flags=\"safety-critical real-time-critical\"/>\n"
        "<component id=\"emergency_stop\" robot=\"h1\" node=\"h1_rt\" rate=\"1kHz\" "
        "exec=\"20us\" priority=\"99\" cpu=\"100m\" memory=\"32MiB\" "
        "flags=\"safety-critical real-time-critical\"/>\n"
        "<component id=\"camera_driver\" robot=\"h1\" node=\"h1_jetson\" rate=\"30Hz\" "
        "exec=\"3ms\" exec-min=\"2ms\" priority=\"50\" cpu=\"500m\" memory=\"256MiB\"/>\n"
        "<component id=\"vision\" robot=\"h1\" node=\"h1_jetson\" rate=\"30Hz\" exec=\"12ms\" "
        "exec-min=\"8ms\" priority=\"40\" cpu=\"2\" memory=\"4GiB\"/>\n"
        "<component id=\"status\" robot=\"h1\" node=\"h1_rt\" rate=\"10Hz\" exec=\"100us\" "
        "cpu=\"100m\" memory=\"16MiB\"/>\n"
        "<component id=\"telemetry\" rate=\"10Hz\" exec=\"1ms\" priority=\"10\" cpu=\"500m\" "
        "memory=\"512MiB\" flags=\"data-processing\"/>\n"
        "</components>\n<topics>\n"
        "<topic id=\"joint_states\" publisher=\"control_loop\" "
        "subscribers=\"balance_controller safety_monitor\" size=\"512B\" budget=\"1ms\"/>\n"
        "<topic id=\"balance_cmd\" publisher=\"balance_controller\" subscribers=\"control_loop\" "
        "size=\"256B\" budget=\"2ms\"/>\n"
        "<topic id=\"safety_status\" publisher=\"safety_monitor\" subscribers=\"emergency_stop\" "
        "size=\"64B\" budget=\"2ms\"/>\n"
        "<topic id=\"camera_image\" publisher=\"camera_driver\" subscribers=\"vision\" "
        "size=\"900KiB\" budget=\"60ms\"/>\n"
        "<topic id=\"detections\" publisher=\"vision\" subscribers=\"balance_controller\" "
        "size=\"4KiB\" budget=\"50ms\"/>\n"
        "<topic id=\"robot_status\" publisher=\"status\" subscribers=\"telemetry\" "
        "size=\"4KiB\" budget=\"200ms\"/>\n"
        "</topics>\n"
        "<fleet id=\"fleet1\" template=\"h1\" count=\"%d\" coordinator=\"telemetry\"/>\n"
        "</scenario>\n";
    size_t cap = strlen(fmt) + 64;
    char *xml = malloc(cap);
    if (!xml)
        return NULL;
    *len = (size_t)snprintf(xml, cap, fmt, robots, sim_seconds, robots);
    return xml;
}

/* The star fleet as gen_star.py writes it by default: robot r0 and its
 * link, publisher and topic, copied N - 1 times by a <fleet>. */
static inline char *star_scenario(int robots, int sim_seconds, size_t *len)
{
    text t = {malloc(1 << 12), 0, 1 << 12};
    put(&t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<scenario name=\"star%d\" seed=\"1\" duration=\"%ds\">\n<platform>\n"
            "<robot id=\"r0\"><computer id=\"r0_pc\" cores=\"1\" memory=\"1GiB\"/></robot>\n"
            "<edge id=\"site\"><server id=\"edge\" cores=\"8\" memory=\"256GiB\"/></edge>\n"
            "<link id=\"r0_l\" from=\"r0_pc\" to=\"edge\" bandwidth=\"100Mbps\" latency=\"2ms\"/>\n"
            "</platform>\n<components>\n"
            "<component id=\"r0_pub\" rate=\"100Hz\" exec=\"1us\" priority=\"50\" cpu=\"100m\" "
            "memory=\"1MiB\" node=\"r0_pc\"/>\n"
            "<component id=\"sink\" rate=\"1Hz\" exec=\"1us\" cpu=\"100m\" memory=\"1MiB\" node=\"edge\"/>\n"
            "</components>\n<topics>\n"
            "<topic id=\"r0_msg\" publisher=\"r0_pub\" subscribers=\"sink\" size=\"1000B\" budget=\"10ms\"/>\n"
            "</topics>\n",
        robots, sim_seconds);
    if (robots > 1)
        put(&t, "<fleet id=\"star\" template=\"r0\" count=\"%d\"/>\n", robots);
    put(&t, "</scenario>\n");
    *len = t.len;
    return t.buf;
}

#endif
