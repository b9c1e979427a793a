-- wrk script for P1: POST a JSON body, different in every request (content and phone),
-- so that no two opinions look alike. The path is the URL's; BENCH_STATION and
-- BENCH_CATEGORY come from the environment.
local counter = 0
local threads = {}
local thread_id = 0

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  station = os.getenv("BENCH_STATION")
  category = os.getenv("BENCH_CATEGORY")
  headers = {["Content-Type"] = "application/json"}
end

function request()
  counter = counter + 1
  local n = tid * 10000000 + counter
  local body = string.format(
    '{"station": "%s", "category": "%s", "title": "路灯不亮%d", ' ..
    '"content": "村口路灯不亮已有一段时间，第%d号反映，请尽快修复。", ' ..
    '"name": "张三", "phone": "139%08d", "consent": true}',
    station, category, n, n, n % 100000000)
  return wrk.format("POST", wrk.path, headers, body)
end
