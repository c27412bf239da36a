#!/bin/sh
# create-cluster.sh — joins six empty jubao-redis@ nodes into 3 primaries with a replica each.
#
#   deploy/cluster/create-cluster.sh 10.0.0.11:7000 10.0.0.12:7000 10.0.0.13:7000 \
#                                    10.0.0.11:7001 10.0.0.12:7001 10.0.0.13:7001
#
# Give the nodes that should be primaries first, one per host: redis-cli makes the first three
# primaries and gives each a replica on another host where it can, so that losing one machine
# loses at most one primary, whose replica then takes over. Then it waits until every node says
# cluster_state:ok and prints the JUBAO_REDIS value for the gateways and workers.
set -eu

if [ $# -lt 6 ] || [ $(($# % 2)) -ne 0 ]; then
    echo "usage: $0 host:port x 6 (primaries first, one per host; an even number, 6 or more)" >&2
    exit 2
fi

# Refuses nodes that already hold data or belong to a cluster (redis-cli checks it too).
redis-cli --cluster create "$@" --cluster-replicas 1 --cluster-yes

for node in "$@"; do
    host=${node%:*} port=${node##*:}
    tries=0
    until redis-cli -h "$host" -p "$port" cluster info | grep -q '^cluster_state:ok'; do
        tries=$((tries + 1))
        [ "$tries" -lt 60 ] || { echo "$node: no cluster_state:ok after 60 s" >&2; exit 1; }
        sleep 1
    done
done
redis-cli --cluster check "$1"
echo "JUBAO_REDIS=$(echo "$@" | tr ' ' ',')"
