// Idle connections: COUNT authenticated socket.io connections (WebSocket) to
// one server, held for SECONDS while nobody sends anything; every ping the
// server sends is timed. Usage: node idle.mjs URL COUNT SECONDS [TOKEN]
// Prints one JSON line: connections made, dropped, pings, and how late each
// ping came (gap since the handshake or the previous ping, minus the
// server's pingInterval): p50/p99/max ms; connections that heard no ping
// although they were held longer than pingInterval + pingTimeout.
import os from 'node:os'
import { io } from 'socket.io-client'

const [url, count, seconds, token] = process.argv.slice(2)
const COUNT = Number(count)
const BATCH = 50 // connects in flight at once
const late = []
let pings = 0
let dropped = 0
let interval = null
const held = []

function connect () {
  return new Promise((resolve, reject) => {
    const socket = io(url, { auth: token ? { token } : undefined, transports: ['websocket'], reconnection: false, forceNew: true })
    const state = { last: null, heard: 0, since: null }
    socket.io.engine.on('handshake', (data) => { interval = data.pingInterval; state.last = performance.now(); state.since = state.last })
    socket.io.engine.on('ping', () => {
      const now = performance.now()
      if (state.last !== null && interval !== null) late.push(now - state.last - interval)
      state.last = now
      state.heard++
      pings++
    })
    socket.on('connect', () => { held.push({ socket, state }); resolve() })
    socket.on('connect_error', reject)
    socket.on('disconnect', () => { dropped++ })
  })
}

const t0 = performance.now()
for (let i = 0; i < COUNT; i += BATCH) {
  await Promise.all(Array.from({ length: Math.min(BATCH, COUNT - i) }, connect))
}
const openSeconds = (performance.now() - t0) / 1000
const holdStarted = performance.now()
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000))
const now = performance.now()
const pct = (xs, p) => { if (!xs.length) return null; const s = Float64Array.from(xs).sort(); return +s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(1) }
const deaf = held.filter(({ state }) => state.heard === 0 && interval !== null && now - state.since > interval * 1.5).length
console.log(JSON.stringify({
  connections: held.length, requested: COUNT, open_s: +openSeconds.toFixed(1),
  held_s: +((now - holdStarted) / 1000).toFixed(1), ping_interval_ms: interval,
  pings, dropped, deaf,
  late_p50_ms: pct(late, 0.5), late_p99_ms: pct(late, 0.99), late_max_ms: pct(late, 1),
  loadavg: os.loadavg().map((x) => +x.toFixed(2))
}))
for (const { socket } of held) socket.close()
process.exit(0)
