/* SPDX-License-Identifier: BSD-3-Clause */
#define _LGPL_SOURCE
#include "daemon/slow.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <urcu/urcu-qsbr.h>
#include <uv.h>

#include "daemon/log.h"
#include "daemon/telem.h"
#include "dns/errcode.h"
#include "dns/msg.h"
#include "slowpath/control.h"
#include "slowpath/json.h"
#include "slowpath/metrics.h"
#include "slowpath/prom.h"
#include "slowpath/tcpserver.h"

struct dd_slow {
	uv_loop_t loop;
	uv_async_t stop;
	uv_async_t reload;
	uv_timer_t tel_timer; /* refreshes the telemetry thread's copy (telem.h) */
	bool tel_timer_open;
	struct dd_zone_info *zinfo; /* scratch for that copy */
	unsigned nzinfo;
	struct dd_zonemgr *zm;
	const struct conf *conf;
	struct sp_ctl *ctl;
	struct sp_ctl_pending *reload_req; /* the dpdnsctl reload waiting for its outcome */
	struct sp_metrics *metrics;
	int64_t started_at;
	unsigned tcp_max_clients;
	uint32_t tcp_idle_ms;
	struct sp_tcpserver *tcp;
	struct fp_dp *dp;
	pthread_t thread;
	char addrs[SP_TCPSERVER_ADDRS_MAX][INET6_ADDRSTRLEN];
	const char *addr_ptrs[SP_TCPSERVER_ADDRS_MAX];
	unsigned naddrs;
	int start_rc;
	pthread_mutex_t lock; /* start handshake only */
	pthread_cond_t cond;
	bool started;
};

static size_t engine_answer(void *ctx, uint8_t *msg, size_t len, size_t cap)
{
	struct dd_slow *s = ctx;
	struct answer_info info;
	urcu_qsbr_thread_online();
	const struct zone_table *t = rcu_dereference(s->dp->table);
	size_t n = zone_answer(t, &s->dp->cfg.answer, msg, len, cap, true, &info);
	/* info->zone is read before the thread goes offline: t may go after it. */
	if (n)
		fp_dp_count_tcp(s->dp, &info);
	urcu_qsbr_thread_offline();
	return n;
}

static size_t tcp_answer(void *ctx, const struct sockaddr *peer, uint8_t *msg, size_t len,
			 size_t cap)
{
	struct dd_slow *s = ctx;
	/* NOTIFY is the zone manager's (the engine alone would say NOTAUTH). */
	if (len >= DNS_HDR_LEN && !(msg[2] & 0x80) && ((msg[2] >> 3) & 0xf) == DNS_OP_NOTIFY) {
		size_t n = dd_zonemgr_notify(s->zm, peer, msg, len, cap);
		if (n)
			return n;
	}
	return engine_answer(ctx, msg, len, cap);
}

static void on_tel_timer(uv_timer_t *h);

static void publish(void *ctx, struct zone_table *t)
{
	struct dd_slow *s = ctx;
	fp_dp_publish(s->dp, t);
	/* Telemetry's copy of the zones follows a new version at once (on the next turn of the
	 * loop, once the zone manager has recorded the refresh), not up to a second later. */
	if (s->tel_timer_open)
		uv_timer_start(&s->tel_timer, on_tel_timer, 0, 1000);
}

/* ---- control commands ---- */

static int cmd_status(void *ctx, struct sp_ctl_req *req)
{
	struct dd_slow *s = ctx;
	struct fp_stats st;
	fp_dp_stats(s->dp, &st);
	int64_t up = (int64_t)time(NULL) - s->started_at;
	double qps = up > 0 ? (double)st.answered / (double)up : 0;
	if (req->json) {
		struct sp_json j;
		sp_json_init(&j, req->out);
		sp_json_obj_begin(&j);
		sp_json_kint(&j, "uptime", up);
		sp_json_kuint(&j, "workers", s->dp->nworkers);
		sp_json_key(&j, "ports");
		sp_json_arr_begin(&j);
		for (unsigned i = 0; i < s->dp->nports; i++)
			sp_json_str(&j, s->dp->ports[i].name);
		sp_json_arr_end(&j);
		sp_json_kuint(&j, "answered", st.answered);
		sp_json_kdouble(&j, "qps_average", qps);
		sp_json_obj_end(&j);
		return sp_json_finish(&j);
	}
	sp_buf_printf(req->out, "uptime: %lld s\nworker lcores: %u\nports:", (long long)up,
		      s->dp->nworkers);
	for (unsigned i = 0; i < s->dp->nports; i++)
		sp_buf_printf(req->out, " %s (%s)", s->dp->ports[i].name, s->dp->ports[i].tap_name);
	sp_buf_printf(req->out, "\nanswered: %llu (%.0f per second on average)\n",
		      (unsigned long long)st.answered, qps);
	return sp_buf_error(req->out);
}

static void put_text(void *arg, const char *k, uint64_t v)
{
	sp_buf_printf(arg, "%s: %llu\n", k, (unsigned long long)v);
}

static void put_json(void *arg, const char *k, uint64_t v)
{
	sp_json_kuint(arg, k, v);
}

static int cmd_stats(void *ctx, struct sp_ctl_req *req)
{
	struct dd_slow *s = ctx;
	struct fp_stats st;
	fp_dp_stats(s->dp, &st);
	if (req->json) {
		struct sp_json j;
		sp_json_init(&j, req->out);
		sp_json_obj_begin(&j);
		fp_stats_each(s->dp, &st, put_json, &j);
		sp_json_obj_end(&j);
		return sp_json_finish(&j);
	}
	fp_stats_each(s->dp, &st, put_text, req->out);
	return sp_buf_error(req->out);
}

static int cmd_zone_status(void *ctx, struct sp_ctl_req *req)
{
	return dd_zonemgr_ctl_status(((struct dd_slow *)ctx)->zm, req);
}

static int cmd_zone_refresh(void *ctx, struct sp_ctl_req *req)
{
	return dd_zonemgr_ctl_refresh(((struct dd_slow *)ctx)->zm, req, false);
}

static int cmd_zone_retransfer(void *ctx, struct sp_ctl_req *req)
{
	return dd_zonemgr_ctl_refresh(((struct dd_slow *)ctx)->zm, req, true);
}

static int cmd_zone_show(void *ctx, struct sp_ctl_req *req)
{
	return dd_zonemgr_ctl_show(((struct dd_slow *)ctx)->zm, req);
}

/* The control server stopped before the reload ended: nobody waits any more. */
static void reload_req_cancelled(void *ctx, struct sp_ctl_pending *p)
{
	struct dd_slow *s = ctx;
	if (s->reload_req == p)
		s->reload_req = NULL;
}

/* The outcome of a reload: the answer to the dpdnsctl reload waiting for it, if any. */
static void reload_finished(void *ctx, int rc, const char *msg)
{
	struct dd_slow *s = ctx;
	struct sp_ctl_pending *p = s->reload_req;
	if (!p)
		return; /* cancelled (the control server stopped) */
	s->reload_req = NULL;
	struct sp_ctl_req *req = sp_ctl_pending_req(p);
	if (rc < 0) {
		rc = sp_ctl_fail(req, rc, "reload failed, nothing changed: %s", msg);
	} else if (req->json) {
		struct sp_json j;
		sp_json_init(&j, req->out);
		sp_json_obj_begin(&j);
		sp_json_kstr(&j, "reload", "done");
		sp_json_kstr(&j, "message", msg);
		sp_json_obj_end(&j);
		rc = sp_json_finish(&j);
	} else {
		sp_buf_puts(req->out, msg);
		rc = sp_buf_error(req->out);
	}
	sp_ctl_reply_done(p, rc);
}

/* The reply waits for the outcome: the new table published, or why nothing changed. */
static int cmd_reload(void *ctx, struct sp_ctl_req *req)
{
	struct dd_slow *s = ctx;
	char msg[2048];
	struct sp_ctl_pending *p = sp_ctl_defer(req, reload_req_cancelled, s);
	if (!p)
		return sp_ctl_fail(req, DP_ENOMEM, "out of memory");
	/* A refused reload (one runs, a bad file) is answered now; p is then dropped. */
	int rc = dd_zonemgr_reload(s->zm, msg, sizeof(msg), reload_finished, s);
	if (rc < 0)
		return sp_ctl_fail(req, rc, "%s", msg);
	s->reload_req = p;
	return SP_CTL_DEFERRED;
}

/* ---- metrics ---- */

/* The TCP counters, from the server (loop thread). */
static void tcp_counters(struct dd_slow *s, struct dd_telem_tcp *t)
{
	struct sp_tcpserver_stats ts;
	sp_tcpserver_stats(s->tcp, &ts);
	t->accepted = ts.accepted;
	t->refused = ts.rejected;
	t->idle_closed = ts.conn.closes[SP_TCP_CLOSE_IDLE];
	t->queries = ts.conn.queries;
	t->responses = ts.conn.responses;
	t->open = ts.active;
}

/* Refreshes s->zinfo[0..nzinfo) from the zone manager; false without memory. */
static bool zone_infos(struct dd_slow *s)
{
	unsigned n = dd_zonemgr_count(s->zm);
	if (n > s->nzinfo) {
		struct dd_zone_info *z = realloc(s->zinfo, (size_t)n * sizeof(*z));
		if (!z)
			return false;
		s->zinfo = z;
	}
	s->nzinfo = dd_zonemgr_zones(s->zm, s->zinfo, n);
	return true;
}

static void metrics_queries(struct dd_slow *s, struct sp_prom *p, const struct fp_stats *st)
{
	const struct fp_tcp_stats *tcp = &s->dp->tcp;
	sp_prom_family(p, "dpdns_queries_total", SP_PROM_COUNTER,
		       "Queries answered, by query type (A ... ANY, other) and transport");
	for (unsigned i = 0; i < FP_QT__COUNT; i++) {
		struct sp_prom_label l[2] = {{"qtype", fp_qtype_slot_name(i)}, {"proto", "udp"}};
		sp_prom_u64(p, "dpdns_queries_total", l, 2, st->qtype[i]);
		l[1].value = "tcp";
		sp_prom_u64(p, "dpdns_queries_total", l, 2, tcp->qtype[i]);
	}
	sp_prom_family(p, "dpdns_tcp_responses_by_rcode_total", SP_PROM_COUNTER,
		       "Queries answered over TCP, by rcode");
	for (unsigned i = 0; i < FP_RC__COUNT; i++) {
		struct sp_prom_label l = {"rcode", fp_rcode_class_name(i)};
		sp_prom_u64(p, "dpdns_tcp_responses_by_rcode_total", &l, 1, tcp->rcode[i]);
	}
	sp_prom_family(p, "dpdns_zone_queries_total", SP_PROM_COUNTER,
		       "Queries answered from the zone (UDP and TCP)");
	if (zone_infos(s))
		for (unsigned i = 0; i < s->nzinfo; i++) {
			const struct dd_zone_info *z = &s->zinfo[i];
			if (z->stat_id >= ZONE_STAT_IDS)
				continue; /* in the "other" slot, below */
			struct sp_prom_label l = {"zone", z->name};
			sp_prom_u64(p, "dpdns_zone_queries_total", &l, 1,
				    fp_dp_zone_queries(s->dp, z->stat_id));
		}
	sp_prom_family(p, "dpdns_zone_queries_other_total", SP_PROM_COUNTER,
		       "Queries answered from zones without a counter of their own (beyond the "
		       "first 4096 zone names)");
	sp_prom_u64(p, "dpdns_zone_queries_other_total", NULL, 0,
		    fp_dp_zone_queries(s->dp, ZONE_STAT_ID_NONE));
}

static void metrics_tcp(struct dd_slow *s, struct sp_prom *p)
{
	struct dd_telem_tcp t;
	tcp_counters(s, &t);
	static const struct {
		const char *name, *help;
		enum sp_prom_type type;
	} fam[] = {
		{"dpdns_tcp_connections_accepted_total", "DNS over TCP connections accepted",
		 SP_PROM_COUNTER},
		{"dpdns_tcp_connections_open", "DNS over TCP connections open now", SP_PROM_GAUGE},
		{"dpdns_tcp_connections_refused_total",
		 "DNS over TCP connections closed at once: over server.tcp-max-clients",
		 SP_PROM_COUNTER},
		{"dpdns_tcp_connections_idle_closed_total",
		 "DNS over TCP connections closed after server.tcp-idle-timeout", SP_PROM_COUNTER},
		{"dpdns_tcp_messages_total", "DNS messages received over TCP (NOTIFY included)",
		 SP_PROM_COUNTER},
		{"dpdns_tcp_responses_total", "DNS responses sent over TCP (NOTIFY included)",
		 SP_PROM_COUNTER},
	};
	const uint64_t v[] = {t.accepted, t.open, t.refused, t.idle_closed, t.queries, t.responses};
	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		sp_prom_family(p, fam[i].name, fam[i].type, fam[i].help);
		sp_prom_u64(p, fam[i].name, NULL, 0, v[i]);
	}
}

/* The telemetry thread's copy of the zones and the TCP counters. */
static void tel_publish(struct dd_slow *s)
{
	struct dd_telem_tcp t;
	tcp_counters(s, &t);
	dd_telem_publish_tcp(&t);
	if (zone_infos(s))
		dd_telem_publish_zones(s->zinfo, s->nzinfo);
}

static void on_tel_timer(uv_timer_t *h)
{
	tel_publish(h->data);
}

static int metrics_fn(void *ctx, struct sp_prom *p)
{
	struct dd_slow *s = ctx;
	struct fp_stats st;
	fp_dp_stats(s->dp, &st);
	sp_prom_family(p, "dpdns_rx_frames_total", SP_PROM_COUNTER, "Frames received by workers");
	sp_prom_u64(p, "dpdns_rx_frames_total", NULL, 0, st.rx);
	sp_prom_family(p, "dpdns_responses_total", SP_PROM_COUNTER, "UDP responses by rcode");
	for (unsigned i = 0; i < FP_RC__COUNT; i++) {
		struct sp_prom_label l = {"rcode", fp_rcode_class_name(i)};
		sp_prom_u64(p, "dpdns_responses_total", &l, 1, st.rcode[i]);
	}
	sp_prom_family(p, "dpdns_drops_total", SP_PROM_COUNTER, "Frames dropped, by reason");
	for (unsigned i = 1; i < FP_DROP__COUNT; i++) {
		struct sp_prom_label l = {"reason", fp_drop_reason_name(i)};
		sp_prom_u64(p, "dpdns_drops_total", &l, 1, st.drop[i]);
	}
	for (unsigned i = 1; i < ANSWER_DROP__COUNT; i++) {
		char r[48];
		snprintf(r, sizeof(r), "engine_%s", fp_engine_drop_name(i));
		struct sp_prom_label l = {"reason", r};
		sp_prom_u64(p, "dpdns_drops_total", &l, 1, st.drop_dns[i]);
	}
	sp_prom_family(p, "dpdns_exception_frames_total", SP_PROM_COUNTER,
		       "Frames handed to the kernel, by reason");
	for (unsigned i = 1; i < FP_EXC__COUNT; i++) {
		struct sp_prom_label l = {"reason", fp_exc_reason_name(i)};
		sp_prom_u64(p, "dpdns_exception_frames_total", &l, 1, st.exc[i]);
	}
	sp_prom_family(p, "dpdns_worker_rx_frames_total", SP_PROM_COUNTER,
		       "Frames received, per worker lcore");
	for (unsigned i = 0; i < s->dp->nworkers; i++) {
		char lc[16];
		snprintf(lc, sizeof(lc), "%u", s->dp->workers[i].lcore_id);
		struct sp_prom_label l = {"lcore", lc};
		sp_prom_u64(p, "dpdns_worker_rx_frames_total", &l, 1, s->dp->workers[i].st.rx);
	}
	metrics_queries(s, p, &st);
	metrics_tcp(s, p);
	dd_zonemgr_metrics(s->zm, p);
	return 0;
}

static void on_reload(uv_async_t *a)
{
	struct dd_slow *s = a->data;
	char msg[2048];
	/* The outcome and any failure are logged by the zone manager. */
	if (dd_zonemgr_reload(s->zm, msg, sizeof(msg), NULL, NULL) < 0)
		return;
}

static void on_stop(uv_async_t *a)
{
	struct dd_slow *s = a->data;
	dd_zonemgr_stop(s->zm);
	sp_tcpserver_stop(s->tcp);
	if (s->ctl)
		sp_ctl_stop(s->ctl);
	if (s->metrics)
		sp_metrics_stop(s->metrics);
	if (s->tel_timer_open) {
		uv_close((uv_handle_t *)&s->tel_timer, NULL);
		s->tel_timer_open = false;
	}
	uv_close((uv_handle_t *)&s->stop, NULL);
	uv_close((uv_handle_t *)&s->reload, NULL);
}

static void signal_started(struct dd_slow *s, int rc)
{
	pthread_mutex_lock(&s->lock);
	s->start_rc = rc;
	s->started = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* The control socket and the metrics endpoint; failures are logged, not fatal. */
static void start_control(struct dd_slow *s)
{
	struct sp_ctl_cfg cc;
	sp_ctl_cfg_init(&cc);
	cc.path = s->conf->control.listen;
	s->ctl = sp_ctl_new(&s->loop, &cc);
	static const struct {
		const char *name;
		unsigned min, max;
		sp_ctl_fn fn;
		const char *args, *help;
	} cmds[] = {
		{"status", 0, 0, cmd_status, "", "uptime, worker lcores, ports, queries answered"},
		{"stats", 0, 0, cmd_stats, "", "the dataplane's counters"},
		{"zone-status", 0, 1, cmd_zone_status, "[ZONE]", "serials, refresh and expire timers"},
		{"zone-refresh", 1, 1, cmd_zone_refresh, "ZONE", "refresh a secondary zone now"},
		{"zone-retransfer", 1, 1, cmd_zone_retransfer, "ZONE", "AXFR a secondary zone now"},
		{"zone-show", 1, 1, cmd_zone_show, "ZONE", "the records served, as zone text"},
		{"reload", 0, 0, cmd_reload, "", "re-read the configuration file and apply it (as SIGHUP)"},
	};
	int rc = s->ctl ? 0 : DP_ENOMEM;
	for (size_t i = 0; rc == 0 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		rc = sp_ctl_register(s->ctl, cmds[i].name, cmds[i].min, cmds[i].max, cmds[i].fn, s,
				     cmds[i].args, cmds[i].help);
	if (rc == 0)
		rc = sp_ctl_start(s->ctl);
	if (rc < 0) {
		dd_logc(DD_LOG_CONTROL, DD_LOG_WARN, "control socket %s: %s", cc.path,
			dp_strerror(rc));
		sp_ctl_free(s->ctl);
		s->ctl = NULL;
	} else {
		dd_logc(DD_LOG_CONTROL, DD_LOG_INFO, "control socket %s", cc.path);
	}
	const struct conf_sockaddr *ml = &s->conf->metrics.listen;
	if (!ml->family)
		return;
	char addr[INET6_ADDRSTRLEN];
	inet_ntop(ml->family, ml->addr, addr, sizeof(addr));
	struct sp_metrics_cfg mc;
	sp_metrics_cfg_init(&mc);
	mc.addr = addr;
	mc.port = ml->port;
	s->metrics = sp_metrics_new(&s->loop, &mc, metrics_fn, s);
	rc = s->metrics ? sp_metrics_start(s->metrics) : DP_ENOMEM;
	if (rc < 0) {
		dd_log(DD_LOG_WARN, "metrics on %s@%u: %s", addr, ml->port, dp_strerror(rc));
		sp_metrics_free(s->metrics);
		s->metrics = NULL;
	} else {
		dd_log(DD_LOG_INFO, "Prometheus metrics on http://%s@%u/metrics", addr, ml->port);
	}
}

static void *slow_main(void *arg)
{
	struct dd_slow *s = arg;
	urcu_qsbr_register_thread();
	urcu_qsbr_thread_offline();
	int rc = uv_loop_init(&s->loop);
	if (rc < 0) {
		dd_log(DD_LOG_ERR, "slow path: event loop: %s", uv_strerror(rc));
		signal_started(s, DP_EIO);
		goto out;
	}
	s->stop.data = s;
	uv_async_init(&s->loop, &s->stop, on_stop);
	s->reload.data = s;
	uv_async_init(&s->loop, &s->reload, on_reload);
	struct sp_tcpserver_cfg cfg;
	sp_tcpserver_cfg_init(&cfg);
	cfg.max_conns = s->tcp_max_clients;
	cfg.conn.idle_ms = s->tcp_idle_ms;
	cfg.addrs = s->addr_ptrs;
	cfg.n_addrs = s->naddrs;
	s->tcp = sp_tcpserver_new(&s->loop, &cfg, engine_answer, s);
	if (s->tcp)
		sp_tcpserver_set_peer_answer(s->tcp, tcp_answer);
	rc = s->tcp ? sp_tcpserver_start(s->tcp) : DP_ENOMEM;
	if (rc < 0) {
		dd_log(DD_LOG_ERR, "slow path: DNS over TCP on port 53: %s", dp_strerror(rc));
		signal_started(s, rc);
		sp_tcpserver_free(s->tcp);
		uv_close((uv_handle_t *)&s->stop, NULL);
		uv_close((uv_handle_t *)&s->reload, NULL);
		uv_run(&s->loop, UV_RUN_DEFAULT);
		uv_loop_close(&s->loop);
		goto out;
	}
	dd_log(DD_LOG_INFO, "DNS over TCP on port 53 of %u addresses, at most %u connections",
	       s->naddrs, cfg.max_conns);
	if (dd_zonemgr_start(s->zm, &s->loop, publish, s) < 0) {
		signal_started(s, DP_EIO);
		sp_tcpserver_stop(s->tcp);
		uv_close((uv_handle_t *)&s->stop, NULL);
		uv_close((uv_handle_t *)&s->reload, NULL);
		uv_run(&s->loop, UV_RUN_DEFAULT);
		sp_tcpserver_free(s->tcp);
		uv_run(&s->loop, UV_RUN_DEFAULT);
		uv_loop_close(&s->loop);
		goto out;
	}
	start_control(s);
	/* Once a second: the zones' timers change on their own, and counters change anyway. */
	uv_timer_init(&s->loop, &s->tel_timer);
	s->tel_timer.data = s;
	s->tel_timer_open = true;
	tel_publish(s);
	uv_timer_start(&s->tel_timer, on_tel_timer, 1000, 1000);
	signal_started(s, 0);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	sp_ctl_free(s->ctl);
	sp_metrics_free(s->metrics);
	sp_tcpserver_free(s->tcp);
	uv_run(&s->loop, UV_RUN_DEFAULT); /* the last close callbacks */
	uv_loop_close(&s->loop);
	dd_telem_clear();
out:
	urcu_qsbr_thread_online();
	urcu_qsbr_unregister_thread();
	return NULL;
}

struct dd_slow *dd_slow_start(const struct conf *c, struct fp_dp *dp, struct dd_zonemgr *zm,
			      const cpu_set_t *cpus)
{
	struct dd_slow *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->dp = dp;
	s->zm = zm;
	s->conf = c;
	s->started_at = (int64_t)time(NULL);
	s->tcp_max_clients = c->server.tcp_max_clients;
	s->tcp_idle_ms = c->server.tcp_idle_timeout * 1000u;
	for (unsigned i = 0; i < c->dataplane.nifaces; i++) {
		const struct conf_iface *ci = &c->dataplane.ifaces[i];
		for (unsigned k = 0; k < ci->naddrs && s->naddrs < SP_TCPSERVER_ADDRS_MAX; k++) {
			const struct conf_prefix *p = &ci->addrs[k];
			inet_ntop(p->family, p->addr, s->addrs[s->naddrs], INET6_ADDRSTRLEN);
			s->addr_ptrs[s->naddrs] = s->addrs[s->naddrs];
			s->naddrs++;
		}
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	pthread_attr_t attr;
	if (pthread_attr_init(&attr) != 0) {
		free(s);
		return NULL;
	}
	if (cpus && pthread_attr_setaffinity_np(&attr, sizeof(*cpus), cpus) != 0)
		dd_log(DD_LOG_WARN, "slow path: cannot set its CPU affinity; it shares the main lcore's");
	int prc = pthread_create(&s->thread, &attr, slow_main, s);
	pthread_attr_destroy(&attr);
	if (prc != 0) {
		free(s);
		return NULL;
	}
	pthread_setname_np(s->thread, "dpdns-slow"); /* best effort: ps, top, /proc */
	pthread_mutex_lock(&s->lock);
	while (!s->started)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	if (s->start_rc < 0) {
		pthread_join(s->thread, NULL);
		free(s);
		return NULL;
	}
	return s;
}

void dd_slow_reload(struct dd_slow *s)
{
	uv_async_send(&s->reload);
}

void dd_slow_stop(struct dd_slow *s)
{
	if (!s)
		return;
	uv_async_send(&s->stop);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s->zinfo);
	free(s);
}
