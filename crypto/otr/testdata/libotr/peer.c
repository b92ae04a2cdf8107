/*
 * A libotr-driven OTR peer for crypto/otr's interoperability tests.
 *
 * It reads one command per line on stdin and answers with lines on stdout,
 * ending each answer with "done". Backslash and newline inside a line are
 * escaped as \\ and \n in both directions.
 *
 *   recv MSG         a message from the engine under test
 *   send TEXT        the user types TEXT
 *   query            start OTR (inject a query message)
 *   smp SECRET       start SMP
 *   smpq Q<TAB>SECRET start SMP with a question
 *   answer SECRET    answer the correspondent's SMP
 *   abort            abort SMP
 *   symkey USE       ask to use the extra symmetric key
 *   end              end the private conversation
 *
 * Answers: "inject MSG", "shown TEXT", "secure FP SSID VERSION THEIRTAG
 * OURTAG" (also "still ..." for a refresh), "insecure", "smp EVENT
 * QUESTION", "msgevent N TEXT", "symkey USE KEY", "error TEXT", "done".
 *
 * Usage: peer KEYFILE INSTAGFILE POLICY MAXMSGSIZE
 * (INSTAGFILE is read if it exists and written when libotr makes a tag)
 * Everything stays on stdin/stdout: no network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>
#include <libotr/proto.h>
#include <libotr/userstate.h>
#include <libotr/context.h>
#include <libotr/message.h>
#include <libotr/privkey.h>
#include <libotr/instag.h>
#include <libotr/tlv.h>

static const char *account = "libotr@padlock.test";
static const char *protocol = "xmpp";
static const char *peer = "engine@padlock.test";

static OtrlUserState us;
static OtrlPolicy policy;
static int max_size;
static const char *instag_path;
static ConnContext *smp_context; /* context of the last SMP event */
static ConnContext *secure_context; /* context that last went secure */

static void emit(const char *kind, const char *text)
{
    fputs(kind, stdout);
    if (text) {
	fputc(' ', stdout);
	for (; *text; text++) {
	    if (*text == '\\') fputs("\\\\", stdout);
	    else if (*text == '\n') fputs("\\n", stdout);
	    else fputc(*text, stdout);
	}
    }
    fputc('\n', stdout);
}

static void unescape(char *s)
{
    char *w = s;
    for (; *s; s++) {
	if (*s == '\\' && s[1] == 'n') { *w++ = '\n'; s++; }
	else if (*s == '\\' && s[1] == '\\') { *w++ = '\\'; s++; }
	else *w++ = *s;
    }
    *w = '\0';
}

static void to_hex(char *out, const unsigned char *in, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", in[i]);
    out[2 * n] = '\0';
}

static void report_secure(const char *kind, ConnContext *c)
{
    char fp[41] = "", ssid[41] = "", line[200];
    if (c->active_fingerprint && c->active_fingerprint->fingerprint)
	to_hex(fp, c->active_fingerprint->fingerprint, 20);
    to_hex(ssid, c->sessionid, c->sessionid_len);
    snprintf(line, sizeof(line), "%s %s %u %08x %08x", fp, ssid,
	    c->protocol_version, c->their_instance, c->our_instance);
    secure_context = c;
    emit(kind, line);
}

static OtrlPolicy op_policy(void *opdata, ConnContext *c) { return policy; }
static int op_logged_in(void *o, const char *a, const char *p, const char *r) { return 1; }
static void op_create_privkey(void *o, const char *a, const char *p) { }
static void op_write_fingerprints(void *o) { }
static void op_update_context_list(void *o) { }
static int op_max_size(void *o, ConnContext *c) { return max_size; }

static void op_inject(void *o, const char *a, const char *p, const char *r,
	const char *msg)
{
    emit("inject", msg);
}

static void op_new_fingerprint(void *o, OtrlUserState u, const char *a,
	const char *p, const char *user, unsigned char fp[20]) { }

static void op_gone_secure(void *o, ConnContext *c) { report_secure("secure", c); }
static void op_still_secure(void *o, ConnContext *c, int is_reply) { report_secure("still", c); }
static void op_gone_insecure(void *o, ConnContext *c) { emit("insecure", NULL); }

static const char *op_error_message(void *o, ConnContext *c, OtrlErrorCode code)
{
    char *m = malloc(64);
    snprintf(m, 64, "libotr test peer error %d", (int)code);
    return m;
}

static void op_error_message_free(void *o, const char *m) { free((char *)m); }

static void op_smp_event(void *o, OtrlSMPEvent ev, ConnContext *c,
	unsigned short progress, char *question)
{
    static const char *names[] = { "none", "error", "abort", "cheated",
	"ask_answer", "ask_secret", "in_progress", "success", "failure" };
    char kind[64];
    smp_context = c;
    snprintf(kind, sizeof(kind), "smp %s",
	    ev < sizeof(names) / sizeof(names[0]) ? names[ev] : "unknown");
    emit(kind, question ? question : "");
}

static void op_msg_event(void *o, OtrlMessageEvent ev, ConnContext *c,
	const char *msg, gcry_error_t err)
{
    char kind[64];
    snprintf(kind, sizeof(kind), "msgevent %d", (int)ev);
    emit(kind, msg ? msg : "");
}

static void op_create_instag(void *o, const char *a, const char *p)
{
    otrl_instag_generate(us, instag_path, a, p);
}

static void op_received_symkey(void *o, ConnContext *c, unsigned int use,
	const unsigned char *usedata, size_t usedatalen,
	const unsigned char *symkey)
{
    char key[65], line[100];
    to_hex(key, symkey, 32);
    snprintf(line, sizeof(line), "%u %s", use, key);
    emit("symkey", line);
}

static OtrlMessageAppOps ops;

static ConnContext *current(void)
{
    if (secure_context) return secure_context;
    return otrl_context_find(us, peer, account, protocol, OTRL_INSTAG_BEST,
	    0, NULL, NULL, NULL);
}

static void command(char *cmd, char *arg)
{
    if (!strcmp(cmd, "recv")) {
	char *newmsg = NULL;
	OtrlTLV *tlvs = NULL;
	int ignore = otrl_message_receiving(us, &ops, NULL, account, protocol,
		peer, arg, &newmsg, &tlvs, NULL, NULL, NULL);
	if (!ignore) emit("shown", newmsg ? newmsg : arg);
	if (otrl_tlv_find(tlvs, OTRL_TLV_DISCONNECTED)) emit("disconnected", NULL);
	otrl_tlv_free(tlvs);
	otrl_message_free(newmsg);
    } else if (!strcmp(cmd, "send")) {
	char *out = NULL;
	gcry_error_t err = otrl_message_sending(us, &ops, NULL, account,
		protocol, peer, OTRL_INSTAG_BEST, arg, NULL, &out,
		OTRL_FRAGMENT_SEND_ALL, NULL, NULL, NULL);
	if (err) emit("error", gcry_strerror(err));
	else if (!out) emit("inject", arg); /* unchanged plaintext */
	otrl_message_free(out);
    } else if (!strcmp(cmd, "query")) {
	char *q = otrl_proto_default_query_msg(account, policy);
	emit("inject", q);
	free(q);
    } else if (!strcmp(cmd, "smp")) {
	otrl_message_initiate_smp(us, &ops, NULL, current(),
		(unsigned char *)arg, strlen(arg));
    } else if (!strcmp(cmd, "smpq")) {
	char *secret = strchr(arg, '\t');
	if (!secret) { emit("error", "smpq needs QUESTION<TAB>SECRET"); return; }
	*secret++ = '\0';
	otrl_message_initiate_smp_q(us, &ops, NULL, current(), arg,
		(unsigned char *)secret, strlen(secret));
    } else if (!strcmp(cmd, "answer")) {
	otrl_message_respond_smp(us, &ops, NULL,
		smp_context ? smp_context : current(),
		(unsigned char *)arg, strlen(arg));
    } else if (!strcmp(cmd, "abort")) {
	otrl_message_abort_smp(us, &ops, NULL, smp_context ? smp_context : current());
    } else if (!strcmp(cmd, "symkey")) {
	unsigned char key[32];
	char hex[65], line[100];
	unsigned int use = (unsigned int)strtoul(arg, NULL, 0);
	gcry_error_t err = otrl_message_symkey(us, &ops, NULL, current(), use,
		(const unsigned char *)"padlock", 7, key);
	if (err) { emit("error", gcry_strerror(err)); return; }
	to_hex(hex, key, 32);
	snprintf(line, sizeof(line), "%u %s", use, hex);
	emit("ourkey", line);
    } else if (!strcmp(cmd, "end")) {
	otrl_message_disconnect_all_instances(us, &ops, NULL, account,
		protocol, peer);
	secure_context = NULL;
    } else {
	emit("error", "unknown command");
    }
}

int main(int argc, char **argv)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    if (argc != 5) {
	fprintf(stderr, "usage: %s KEYFILE INSTAGFILE POLICY MAXMSGSIZE\n", argv[0]);
	return 2;
    }
    OTRL_INIT;
    us = otrl_userstate_create();
    if (otrl_privkey_read(us, argv[1])) {
	fprintf(stderr, "libotr could not read the key file %s\n", argv[1]);
	return 1;
    }
    instag_path = argv[2];
    otrl_instag_read(us, instag_path); /* a restarted peer keeps its tag */
    policy = (OtrlPolicy)strtoul(argv[3], NULL, 0);
    max_size = atoi(argv[4]);

    ops.policy = op_policy;
    ops.create_privkey = op_create_privkey;
    ops.is_logged_in = op_logged_in;
    ops.inject_message = op_inject;
    ops.update_context_list = op_update_context_list;
    ops.new_fingerprint = op_new_fingerprint;
    ops.write_fingerprints = op_write_fingerprints;
    ops.gone_secure = op_gone_secure;
    ops.gone_insecure = op_gone_insecure;
    ops.still_secure = op_still_secure;
    ops.max_message_size = op_max_size;
    ops.received_symkey = op_received_symkey;
    ops.otr_error_message = op_error_message;
    ops.otr_error_message_free = op_error_message_free;
    ops.handle_smp_event = op_smp_event;
    ops.handle_msg_event = op_msg_event;
    ops.create_instag = op_create_instag;

    while ((n = getline(&line, &cap, stdin)) > 0) {
	char *arg;
	if (line[n - 1] == '\n') line[n - 1] = '\0';
	unescape(line);
	arg = strchr(line, ' ');
	if (arg) *arg++ = '\0';
	else arg = line + strlen(line);
	command(line, arg);
	emit("done", NULL);
	fflush(stdout);
    }
    free(line);
    otrl_userstate_free(us);
    return 0;
}
