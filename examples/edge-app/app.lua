-- Temperature watch: publishes an alarm value (1/0) when a temperature passes a limit.
-- Sample edge app shipped with @lynxflow/node-red-iotopen (examples/edge-app). It uses
-- the edge runtime's globals the way IoT Open's published edge apps do: cfg (this
-- instance's config, see app.json), functions (the installation's functions),
-- mq (the gateway's MQTT client), json and log.

local sensor = nil
local alarmTopic = nil

local function onTemperature(topic, payload, retained)
  local data = json:decode(payload)
  if data == nil or data.value == nil then return end
  local value = 0
  if data.value > cfg.limit then value = 1 end
  mq:pub(alarmTopic, json:encode({ value = value, timestamp = os.time() }))
end

local function findSensor()
  for _, fn in ipairs(functions) do
    if fn.id == cfg.sensor then return fn end
  end
  return nil
end

local function follow()
  if sensor ~= nil then
    mq:unsub(sensor.meta.topic_read)
    mq:unbind(sensor.meta.topic_read, onTemperature)
  end
  sensor = findSensor()
  if sensor == nil or sensor.meta.topic_read == nil then
    log.d("temperature watch: function %s not found or has no topic_read", tostring(cfg.sensor))
    return
  end
  alarmTopic = "obj/edge/temperature_watch/" .. tostring(cfg.sensor) .. "/alarm"
  mq:sub(sensor.meta.topic_read, 0)
  mq:bind(sensor.meta.topic_read, onTemperature)
end

function onStart()
  if cfg.enabled == false then
    log.d("temperature watch: disabled")
    return
  end
  follow()
  log.d("temperature watch: started, limit %s", tostring(cfg.limit))
end

function onFunctionsUpdated()
  if cfg.enabled ~= false then follow() end
end
