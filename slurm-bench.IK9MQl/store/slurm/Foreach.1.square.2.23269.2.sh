#!/bin/sh
# written by trellis for Foreach/1/square/2 and 99 more
case "$SLURM_ARRAY_TASK_ID" in
0)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/2
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 2 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
1)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/3
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 3 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
2)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/4
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 4 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
3)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/5
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 5 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
4)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/6
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 6 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
5)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/7
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 7 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
6)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/8
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 8 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
7)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/9
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 9 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
8)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/10
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 10 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
9)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/11
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 11 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
10)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/12
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 12 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
11)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/13
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 13 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
12)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/14
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 14 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
13)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/15
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 15 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
14)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/16
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 16 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
15)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/17
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 17 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
16)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/18
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 18 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
17)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/19
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 19 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
18)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/20
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 20 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
19)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/21
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 21 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
20)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/22
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 22 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
21)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/23
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 23 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
22)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/24
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 24 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
23)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/25
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 25 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
24)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/26
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 26 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
25)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/27
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 27 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
26)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/28
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 28 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
27)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/29
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 29 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
28)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/30
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 30 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
29)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/31
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 31 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
30)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/32
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 32 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
31)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/33
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 33 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
32)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/34
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 34 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
33)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/35
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 35 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
34)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/36
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 36 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
35)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/37
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 37 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
36)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/38
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 38 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
37)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/39
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 39 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
38)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/40
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 40 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
39)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/41
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 41 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
40)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/42
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 42 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
41)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/43
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 43 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
42)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/44
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 44 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
43)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/45
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 45 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
44)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/46
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 46 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
45)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/47
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 47 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
46)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/48
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 48 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
47)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/49
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 49 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
48)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/50
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 50 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
49)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/51
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 51 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
50)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/52
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 52 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
51)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/53
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 53 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
52)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/54
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 54 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
53)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/55
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 55 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
54)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/56
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 56 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
55)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/57
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 57 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
56)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/58
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 58 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
57)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/59
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 59 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
58)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/60
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 60 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
59)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/61
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 61 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
60)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/62
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 62 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
61)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/63
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 63 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
62)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/64
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 64 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
63)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/65
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 65 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
64)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/66
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 66 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
65)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/67
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 67 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
66)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/68
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 68 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
67)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/69
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 69 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
68)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/70
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 70 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
69)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/71
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 71 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
70)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/72
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 72 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
71)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/73
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 73 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
72)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/74
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 74 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
73)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/75
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 75 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
74)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/76
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 76 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
75)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/77
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 77 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
76)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/78
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 78 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
77)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/79
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 79 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
78)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/80
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 80 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
79)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/81
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 81 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
80)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/82
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 82 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
81)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/83
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 83 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
82)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/84
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 84 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
83)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/85
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 85 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
84)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/86
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 86 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
85)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/87
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 87 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
86)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/88
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 88 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
87)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/89
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 89 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
88)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/90
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 90 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
89)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/91
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 91 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
90)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/92
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 92 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
91)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/93
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 93 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
92)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/94
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 94 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
93)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/95
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 95 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
94)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/96
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 96 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
95)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/97
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 97 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
96)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/98
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 98 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
97)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/99
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 99 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
98)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/100
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 100 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
99)
  export TRELLIS_CONFIG=/root/.config/trellis/config.json
  export TRELLIS_DATASTORE=file:///work/main/slurm-bench.IK9MQl/store
  export TRELLIS_METADATA=sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  export TRELLIS_PATHSPEC=Foreach/1/square/101
  export TRELLIS_ROOT=/work/main/slurm-bench.IK9MQl/store
  exec /work/main/build/flows/foreach step square --run-id 1 --task-id 101 --attempt 0 --datastore file:///work/main/slurm-bench.IK9MQl/store --metadata sqlite:///work/main/slurm-bench.IK9MQl/store/metadata.db
  ;;
esac
echo "trellis: no command for array index $SLURM_ARRAY_TASK_ID" >&2
exit 97
