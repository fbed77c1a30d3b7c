// N clients watching one workspace's feed, as the trial page does: a dropped
// connection reconnects and resubscribes from the last event it saw (`after`:
// its seq), so no event is missed or repeated. Run by run.py (not by hand):
//   node watchers.mjs URL TOKEN WORKSPACE_ID N
// Prints "ready" once every client is subscribed. Each line "report" on stdin
// is answered with one JSON line: arrival times (epoch seconds) by batch
// client key, and the times of reconnects and of repeated events under
// `_reconnects` / `_repeats`. "stop" closes the clients and exits.
// In Node, not Python: 50 python-socketio clients (a thread per handler
// call) took a whole core of the two the server shares with them.
import { createInterface } from 'node:readline'
import { io } from 'socket.io-client'

const [url, token, workspaceArg, n] = process.argv.slice(2)
const workspaceId = Number(workspaceArg)
const received = { _reconnects: [], _repeats: [] }
const sockets = []

const connectOne = () => new Promise((resolve, reject) => {
  const seen = new Set()
  let seq = 0
  let connected = false
  const socket = io(url, {
    transports: ['websocket'], auth: { token },
    reconnection: true, reconnectionDelay: 200, reconnectionDelayMax: 1000,
  })
  socket.on('connect_error', (err) => { if (!connected) reject(err) })
  socket.on('event', (env) => {
    const now = Date.now() / 1000
    if (seen.has(env.id)) { received._repeats.push(now); return }
    seen.add(env.id)
    seq = Math.max(seq, env.seq)
    if (env.type === 'trial.measurements_recorded') {
      const key = env.data.client_key
      ;(received[key] ||= []).push(now)
    }
  })
  socket.on('connect', () => {
    if (connected) { // a reconnect: resume from the cursor
      received._reconnects.push(Date.now() / 1000)
      socket.emit('feed:subscribe', { workspace_id: workspaceId, after: seq })
      return
    }
    socket.timeout(20000).emit('feed:subscribe', { workspace_id: workspaceId }, (err, ack) => {
      if (err || !ack || !ack.ok) reject(new Error('subscribe refused: ' + JSON.stringify(err || ack)))
      else { connected = true; resolve(socket) }
    })
  })
})

for (let i = 0; i < Number(n); i++) sockets.push(await connectOne()) // no connect storm
console.log('ready')

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'report') {
    console.log(JSON.stringify(received))
  } else {
    for (const s of sockets) s.close()
    console.log('bye')
    process.exit(0)
  }
})
