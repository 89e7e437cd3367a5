# Helpers of the trellis-serve benches (serve_bench.sh, serve_soak.sh, serve_http_ab.sh);
# sourced, not run.

# write_post_lua IMAGE OUT: a wrk script that POSTs IMAGE's bytes as image/jpeg.
write_post_lua() {
  cat >"$2" <<LUA
local f = io.open("$(realpath "$1")", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
LUA
}

# wait_ready PORT: returns once GET /ping answers 200; exits the script after 2 minutes.
wait_ready() {
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$1/ping" >/dev/null && return 0
    sleep 0.2
  done
  echo "server on port $1 did not become ready" >&2
  exit 1
}
