/*
 * Platform models on the engine, one header each: the network (links,
 * routes, queues, loss), compute (cores, scheduling, GPUs, memory) and the
 * node dynamics (thermal, power, energy). This header gathers them and the
 * events they report.
 */
#ifndef TOPOSIM_PLATFORM_H
#define TOPOSIM_PLATFORM_H

#include "toposim/compute.h"
#include "toposim/network.h"

#endif
