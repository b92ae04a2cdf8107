package kamailio

// configTemplate follows /work/shared/PEERS.md section 4: a registrar and
// proxy with digest auth (qop=auth), usrloc in memory, GRUU off (with it on,
// linphone's Contact turns into a GRUU that points back at kamailio and
// in-dialog requests loop).
const configTemplate = `#!KAMAILIO
debug=2
log_stderror=yes
memdbg=5
memlog=5
children=2
auto_aliases=no
listen=udp:127.0.0.1:@PORT@
listen=tcp:127.0.0.1:@PORT@
alias="127.0.0.1:@PORT@"
alias="localhost:@PORT@"
alias="127.0.0.1:5060"
@TLSCORE@dns=no
rev_dns=no
use_dns_cache=off

mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "ctl.so"
@TLSMOD@
modparam("ctl", "binrpc", "unix:@CTL@")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", 3600)
modparam("registrar", "min_expires", 1)
modparam("registrar", "default_expires", 600)
modparam("registrar", "gruu_enabled", 0)
modparam("rr", "enable_full_lr", 1)
modparam("auth", "nonce_expire", 300)

request_route {
    xlog("L_INFO", "$rm $ru from $si:$sp (ci=$ci)\n");
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (!sanity_check("17895", "7")) { xlog("L_WARN", "malformed SIP from $si:$sp\n"); exit; }

    if (is_method("OPTIONS") && uri==myself && $rU==$null) { sl_send_reply("200", "Keepalive"); exit; }

    if (has_totag()) {
        if (loose_route()) { route(RELAY); exit; }
        if (is_method("ACK")) { if (t_check_trans()) { route(RELAY); } exit; }
        sl_send_reply("404", "Not here");
        exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) { route(RELAY); } exit; }
    t_check_trans();

    # Our users' From domain is the bare 127.0.0.1 (port 5060 implied), which
    # "from_uri==myself" does not match on a random port: compare the domain.
    if (is_method("REGISTER") || $fd=="127.0.0.1" || $fd=="localhost") { route(AUTH); }

    if (is_method("INVITE|SUBSCRIBE|REFER")) { record_route(); }

    if (is_method("REGISTER")) {
        if (!save("location")) { sl_reply_error(); }
        exit;
    }
    if ($rU==$null) { sl_send_reply("484", "Address Incomplete"); exit; }
    if (!lookup("location")) {
        t_newtran();
        t_reply("404", "Not Found");
        exit;
    }
    route(RELAY);
}

route[AUTH] {
    switch ($au) {
@USERS@        default: $var(pw) = "";
    }
    if (is_method("REGISTER")) {
        if (!pv_www_authenticate("$td", "$var(pw)", "0")) { www_challenge("$td", "1"); exit; }
        if ($au != $tU) { sl_send_reply("403", "Forbidden auth ID"); exit; }
    } else {
        if (!pv_proxy_authenticate("$fd", "$var(pw)", "0")) { proxy_challenge("$fd", "1"); exit; }
        if ($au != $fU) { sl_send_reply("403", "Forbidden auth ID"); exit; }
    }
    consume_credentials();
}

# Every reply kamailio receives, so tests can see what a peer was told.
onreply_route {
    xlog("L_INFO", "reply $rs $rr to $rm (ci=$ci)\n");
}

route[RELAY] {
    if (!t_relay()) { sl_reply_error(); }
    exit;
}
`

// tlsCore and tlsMod add a TLS listener (Options.TLS).
const tlsCore = `enable_tls=yes
listen=tls:127.0.0.1:@TLSPORT@
alias="127.0.0.1:@TLSPORT@"
`

const tlsMod = `loadmodule "tls.so"
modparam("tls", "config", "@TLSCFG@")
`

// tlsConfig is kamailio's tls.cfg: our certificate, and no client
// certificates asked for or checked (phones rarely have one).
const tlsConfig = `[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = @KEY@
certificate = @CERT@

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
`
