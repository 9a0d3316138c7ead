#!/bin/bash
# The injected two-preemption race (src/kvm/test-race.ts, test only): what each --schedule finds of it
# within the campaign's 30 s budget, 3 runs each (docs/MODEL.md, "Controlled schedules"). Needs npm run build and bc.
# Run r uses --seed r; under pct and random its schedules are --sched-seed 31r+i, i = 1, 2, ..., until a finding or 30 s.
CLI="$(dirname "$0")/../dist/cli.js"
BASE="stress --vcpus 2 --workload steal --inject-race --stop-on-finding --json"
j() { node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const r=JSON.parse(d);const p=r.properties.find(x=>x.name==="injected-race");console.log(JSON.stringify({found:r.findingsTotal>0, prop:r.firstFinding?.property, atS:r.firstFinding?.atS, elapsedS:+r.elapsedS.toFixed(2), checks:p.checks, steps:r.schedule?.steps}))})'; }
echo "load at start: $(cat /proc/loadavg)"
for sch in os chaos; do for seed in 1 2 3; do
  echo -n "$sch seed $seed: "; node $CLI $BASE --schedule $sch --seed $seed --duration 30 2>/dev/null | j
done; done
for mode in "pct" "pct --pct-epoch 100" "random"; do for run in 1 2 3; do
  start=$(date +%s.%N); n=0; found=no
  while :; do n=$((n+1)); out=$(node $CLI $BASE --schedule $mode --seed $run --sched-seed $((run*31+n)) --duration 30 2>/dev/null); echo "$out" | grep -q '"findingsTotal": [1-9]' && { found=yes; break; }; el=$(echo "$(date +%s.%N) - $start" | bc); (( $(echo "$el > 30" | bc) )) && break; done
  el=$(echo "$(date +%s.%N) - $start" | bc)
  echo "$mode run $run: found=$found after $n schedules, ${el} s wall"
done; done
echo "load at end: $(cat /proc/loadavg)"
