/* SPDX-License-Identifier: BSD-3-Clause */
#define _LGPL_SOURCE
#include "daemon/slow.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <urcu/urcu-qsbr.h>
#include <uv.h>

#include "daemon/log.h"
#include "dns/errcode.h"
#include "dns/msg.h"
#include "slowpath/tcpserver.h"

struct dd_slow {
	uv_loop_t loop;
	uv_async_t stop;
	uv_async_t reload;
	struct dd_zonemgr *zm;
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

static void publish(void *ctx, struct zone_table *t)
{
	fp_dp_publish(ctx, t);
}

static void on_reload(uv_async_t *a)
{
	struct dd_slow *s = a->data;
	dd_zonemgr_reload(s->zm);
}

static void on_stop(uv_async_t *a)
{
	struct dd_slow *s = a->data;
	dd_zonemgr_stop(s->zm);
	sp_tcpserver_stop(s->tcp);
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
	if (dd_zonemgr_start(s->zm, &s->loop, publish, s->dp) < 0) {
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
	signal_started(s, 0);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	sp_tcpserver_free(s->tcp);
	uv_run(&s->loop, UV_RUN_DEFAULT); /* the last close callbacks */
	uv_loop_close(&s->loop);
out:
	urcu_qsbr_thread_online();
	urcu_qsbr_unregister_thread();
	return NULL;
}

struct dd_slow *dd_slow_start(const struct conf *c, struct fp_dp *dp, struct dd_zonemgr *zm)
{
	struct dd_slow *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->dp = dp;
	s->zm = zm;
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
	if (pthread_create(&s->thread, NULL, slow_main, s) != 0) {
		free(s);
		return NULL;
	}
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
	free(s);
}
