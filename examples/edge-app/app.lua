-- Temperature watch: publishes an alarm value (1/0) when a temperature passes a limit.
-- Sample edge app shipped with @lynxflow/node-red-iotopen (examples/edge-app), written
-- for the IoT Open edge runtime's globals: cfg (the instance config, see app.json),
-- lynx (platform calls), mq (the gateway's MQTT client) and json.

local alarmTopic = nil

local function onTemperature(topic, payload, retained)
  local data = json:decode(payload)
  if data == nil or data.value == nil then return end
  local value = 0
  if data.value > cfg.limit then value = 1 end
  mq:pub(alarmTopic, json:encode({ value = value, timestamp = os.time() }), false, 0)
end

function onStart()
  if cfg.enabled == false then
    print("temperature watch: disabled")
    return
  end
  local sensor = nil
  for _, fn in ipairs(lynx.getFunctions()) do
    if fn.id == cfg.sensor then sensor = fn end
  end
  if sensor == nil then
    print("temperature watch: function " .. tostring(cfg.sensor) .. " not found")
    return
  end
  alarmTopic = "obj/edge/temperature_watch/" .. tostring(cfg.sensor) .. "/alarm"
  mq:sub(sensor.meta.topic_read, 0)
  mq:bind(sensor.meta.topic_read, onTemperature)
  print("temperature watch: started, limit " .. tostring(cfg.limit))
end
