// A socket.io-client (WebSocket) that joins a document and records every
// doc:update relayed to it. Usage: node listener.mjs URL TOKEN DOCUMENT_ID COUNT
// Prints {"joined": true} once in the room, then, after COUNT updates,
// {"updates": [hex, ...], "pings": n} and exits.
import { io } from 'socket.io-client'

const [url, token, documentId, count] = process.argv.slice(2)
const docId = Number(documentId)
const updates = []
let pings = 0
let done = false
const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false })
const fail = (why) => { console.error(why); process.exit(1) }
setTimeout(() => fail(`timed out with ${updates.length} of ${count} updates`), 90000)

socket.on('doc:update', (msg) => {
  if (msg.document_id !== docId) return
  updates.push(Buffer.from(msg.update).toString('hex'))
  if (updates.length === Number(count)) {
    done = true
    process.stdout.write(JSON.stringify({ updates, pings }) + '\n', () => process.exit(0))
  }
})
socket.on('disconnect', (reason) => { if (!done) fail('disconnected: ' + reason) })
socket.on('connect_error', (err) => fail('connect failed: ' + err.message))
socket.on('connect', () => {
  socket.io.engine.on('ping', () => { pings++ })
  socket.timeout(20000).emit('doc:join', { document_id: docId, state_vector: new Uint8Array([0]) }, (err, ack) => {
    if (err || !ack || !ack.ok) fail('join refused: ' + JSON.stringify(err || ack))
    console.log(JSON.stringify({ joined: true }))
  })
})
