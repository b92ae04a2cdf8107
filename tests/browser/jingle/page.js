// The browser side of protocols/jingleline's StanzaJS acceptance test: a
// StanzaJS client in Chromium that the Go test drives through window.peer.
import { createClient } from 'stanza';

const log = [];
const note = (...a) => log.push(a.map(String).join(' '));

const peer = {
  log,
  ready: false,
  sessions: [],
  ended: 0,
  incoming: 0,
  remote: null,

  async start(jid, password, url) {
    // No processing: noise suppression takes a steady tone for noise.
    this.local = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    const client = createClient({
      jid, password, resource: 'browser',
      transports: { websocket: url, bosh: false },
      jingle: { iceServers: [] }, // no public STUN server: loopback only
    });
    this.client = client;
    // What StanzaJS sends, for captures in protocols/jingle/testdata.
    this.sent = [];
    client.on('raw:outgoing', x => {
      if (typeof x === 'string' && x.includes('urn:xmpp:jingle:1') && this.sent.length < 64) this.sent.push(x);
    });
    client.on('session:started', async () => {
      await client.getRoster();
      client.sendPresence();
      this.jid = client.jid;
      this.ready = true;
      note('ready', client.jid);
    });
    client.on('subscribe', p => {
      client.acceptSubscription(p.from);
      client.subscribe(p.from);
    });
    client.on('jingle:incoming', session => {
      this.incoming++;
      note('incoming', session.sid, session.peerID);
      for (const t of this.local.getTracks()) session.addTrack(t, this.local);
      session.accept();
      this.sessions.push(session);
    });
    client.on('jingle:terminated', (session, reason) => {
      this.ended++;
      note('terminated', session.sid, JSON.stringify(reason));
    });
    client.jingle.on('peerTrackAdded', (session, track, stream) => {
      note('remote track', track.kind);
      this.listen(stream);
    });
    client.on('disconnected', () => note('disconnected'));
    client.connect();
  },

  call(to) {
    const session = this.client.jingle.createMediaSession(to);
    for (const t of this.local.getTracks()) session.addTrack(t, this.local);
    session.start();
    this.sessions.push(session);
    return session.sid;
  },

  hangup() {
    for (const s of this.sessions) s.end('success');
    this.sessions = [];
  },

  // listen feeds the remote stream to an analyser (and a muted <audio>,
  // without which Chromium's WebAudio sees silence).
  listen(stream) {
    const el = document.createElement('audio');
    el.srcObject = stream;
    el.muted = true;
    el.play();
    document.body.appendChild(el);
    const ctx = new AudioContext();
    const src = ctx.createMediaStreamSource(stream);
    const an = ctx.createAnalyser();
    an.fftSize = 8192;
    src.connect(an);
    this.remote = { ctx, an };
  },

  // level is the remote audio's power at freq in dB, and the loudest bin's
  // frequency.
  level(freq) {
    if (!this.remote) return { db: -200, peak: 0 };
    const { ctx, an } = this.remote;
    const bins = new Float32Array(an.frequencyBinCount);
    an.getFloatFrequencyData(bins);
    const hz = ctx.sampleRate / an.fftSize;
    let peak = 0;
    for (let i = 1; i < bins.length; i++) if (bins[i] > bins[peak]) peak = i;
    const at = Math.round(freq / hz);
    return { db: Math.max(bins[at - 1], bins[at], bins[at + 1]), peak: peak * hz };
  },
};
window.peer = peer;
