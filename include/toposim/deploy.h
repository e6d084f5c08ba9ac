/*
 * The deployment code: decisions that would run the same on a real fleet.
 * It sees the world only through runtime.h and plain descriptions, never
 * the simulator, the engine, the platform models or the trace (a build
 * check enforces it). One header per part, gathered here.
 */
#ifndef TOPOSIM_DEPLOY_H
#define TOPOSIM_DEPLOY_H

#include "toposim/deploy_controller.h"
#include "toposim/deploy_failover.h"
#include "toposim/deploy_fleet.h"
#include "toposim/deploy_placement.h"
#include "toposim/deploy_policy.h"
#include "toposim/deploy_power.h"
#include "toposim/deploy_qos.h"
#include "toposim/deploy_rollout.h"
#include "toposim/deploy_service.h"
#include "toposim/deploy_variant.h"

#endif
