/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpdnsd: the daemon.  Reads the configuration, loads the zones, starts the
 * EAL and the dataplane, and then:
 *  - the main lcore runs the exception path (fp_service_main);
 *  - worker lcores answer queries (fp_worker_main);
 *  - a control thread takes the signals (SIGHUP reload, SIGUSR1 counters,
 *    SIGINT/SIGTERM stop) and is the one RCU writer.
 * Signals are blocked in every thread before the EAL starts any, and taken
 * synchronously with sigwaitinfo in the control thread: no handler runs on
 * a poll loop.
 */
#define _LGPL_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <urcu/urcu-qsbr.h>

#include "conf/conf.h"
#include "daemon/eal_args.h"
#include "daemon/log.h"
#include "daemon/slow.h"
#include "daemon/telem.h"
#include "daemon/zonemgr.h"
#include "dns/errcode.h"
#include "fastpath/dataplane.h"
#include "fastpath/netif.h"

struct daemon {
	const char *conf_path;
	struct conf *conf;
	struct fp_dp dp;
	pthread_t control;
	bool control_started;
	struct dd_slow *slow;
	struct dd_zonemgr *zm;
	int exit_code;
	/*
	 * The CPUs the process was started on (systemd CPUAffinity=, taskset),
	 * read before the EAL pins this thread to the main lcore; slow_cpus
	 * narrows them.  The slow path and its build threads run there;
	 * have_cpus false: inherit.
	 */
	cpu_set_t cpus;
	bool have_cpus;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: dpdnsd -c FILE [--check]\n"
		   "  -c, --config FILE  the YAML configuration (doc/config.md)\n"
		   "      --check        validate the configuration and the zone files, then exit\n"
		   "  -h, --help         this text\n"
		   "Signals: SIGHUP re-reads the zone files and reopens the log files,\n"
		   "SIGUSR1 logs the counters,\n"
		   "SIGINT or SIGTERM stop.\n");
}

static void log_stats(struct daemon *d)
{
	struct fp_stats s;
	fp_dp_stats(&d->dp, &s);
	char line[900];
	size_t n = 0;
#define ADD(...)                                                                       \
	do {                                                                           \
		int k_ = snprintf(line + n, sizeof(line) - n, __VA_ARGS__);            \
		if (k_ > 0 && (size_t)k_ < sizeof(line) - n)                           \
			n += (size_t)k_;                                               \
	} while (0)
	ADD("stats: rx=%lu tx=%lu tx_drop=%lu answered=%lu", (unsigned long)s.rx,
	    (unsigned long)s.tx, (unsigned long)s.tx_drop, (unsigned long)s.answered);
	for (unsigned i = 0; i < FP_RC__COUNT; i++)
		if (s.rcode[i])
			ADD(" rcode_%s=%lu", fp_rcode_class_name(i), (unsigned long)s.rcode[i]);
	for (unsigned i = 1; i < FP_DROP__COUNT; i++)
		if (s.drop[i])
			ADD(" drop_%s=%lu", fp_drop_reason_name(i), (unsigned long)s.drop[i]);
	for (unsigned i = 1; i < ANSWER_DROP__COUNT; i++)
		if (s.drop_dns[i])
			ADD(" drop_engine_%s=%lu", fp_engine_drop_name(i), (unsigned long)s.drop_dns[i]);
	for (unsigned i = 0; i < FP_DROPX__COUNT; i++)
		if (s.dropx[i])
			ADD(" drop_%s=%lu", fp_dropx_name(i), (unsigned long)s.dropx[i]);
	for (unsigned i = 1; i < FP_EXC__COUNT; i++)
		if (s.exc[i])
			ADD(" exc_%s=%lu", fp_exc_reason_name(i), (unsigned long)s.exc[i]);
	ADD(" exc_ring_full=%lu kernel_tx=%lu kernel_rx=%lu", (unsigned long)s.exc_ring_full,
	    (unsigned long)d->dp.svc.kernel_tx, (unsigned long)s.kernel_rx);
#undef ADD
	dd_log(DD_LOG_INFO, "%s", line);
}

static void *control_main(void *arg)
{
	struct daemon *d = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	urcu_qsbr_register_thread();
	urcu_qsbr_thread_offline();
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig == SIGHUP) {
			/* The slow-path loop is the one RCU writer: it reloads. */
			dd_log_reopen(); /* first: the lines below go to the new files */
			dd_log(DD_LOG_INFO, "SIGHUP: reloading the configuration");
			dd_slow_reload(d->slow);
		} else if (sig == SIGUSR1) {
			log_stats(d);
		} else if (sig == SIGINT || sig == SIGTERM) {
			dd_log(DD_LOG_INFO, "signal %d: stopping", sig);
			fp_dp_stop(&d->dp);
			break;
		}
	}
	urcu_qsbr_thread_online();
	urcu_qsbr_unregister_thread();
	return NULL;
}

static void block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void tap_name(const struct conf *c, unsigned i, char *out, size_t len)
{
	/* One port: the name as configured; several: the name and the port's index (< 8). */
	size_t n = strlen(c->dataplane.exception);
	if (n > len - 2)
		n = len - 2;
	memcpy(out, c->dataplane.exception, n);
	if (c->dataplane.nifaces > 1)
		out[n++] = (char)('0' + i % 10);
	out[n] = '\0';
}

/* Addresses the workers answer on, and the same on the kernel's TAP. */
static int setup_port(struct daemon *d, unsigned i)
{
	const struct conf_iface *ci = &d->conf->dataplane.ifaces[i];
	struct fp_addrs a;
	char err[512], tap[FP_IFNAME_MAX];
	fp_addrs_init(&a, NULL);
	for (unsigned k = 0; k < ci->naddrs; k++) {
		const struct conf_prefix *p = &ci->addrs[k];
		int rc = p->family == AF_INET ? fp_addrs_add4(&a, p->addr) : fp_addrs_add6(&a, p->addr);
		if (rc < 0) {
			dd_log(DD_LOG_ERR, "%s:%d: interface %s: address %u: %s", d->conf->path,
			       ci->line, ci->port, k, dp_strerror(rc));
			return rc;
		}
	}
	tap_name(d->conf, i, tap, sizeof(tap));
	int rc = fp_port_add(&d->dp, ci->port, tap, &a, err, sizeof(err));
	if (rc < 0) {
		dd_log(DD_LOG_ERR, "%s", err);
		return rc;
	}
	const struct fp_port *p = &d->dp.ports[d->dp.nports - 1];
	int idx = fp_netif_index(tap);
	if (idx < 0) {
		dd_log(DD_LOG_ERR, "exception interface %s: %s", tap, dp_strerror(idx));
		return idx;
	}
	/* Keep IPv6 addresses across link down (the TAP goes down on port stop), no RA/SLAAC. */
	rc = fp_netif_ipv6_defaults(tap);
	if (rc < 0)
		dd_log(DD_LOG_WARN, "exception interface %s: IPv6 settings: %s", tap, dp_strerror(rc));
	for (unsigned k = 0; k < ci->naddrs; k++) {
		const struct conf_prefix *pf = &ci->addrs[k];
		rc = fp_netif_addr_add(idx, pf->family, pf->addr, pf->plen);
		if (rc < 0) {
			dd_log(DD_LOG_ERR, "exception interface %s: adding address %u: %s%s%s", tap, k,
			       dp_strerror(rc), *fp_netif_errmsg() ? ": " : "", fp_netif_errmsg());
			return rc;
		}
	}
	rc = fp_netif_set_up(idx, true);
	if (rc < 0) {
		dd_log(DD_LOG_ERR, "exception interface %s: link up: %s", tap, dp_strerror(rc));
		return rc;
	}
	const uint8_t *m = p->mac.addr_bytes;
	dd_log(DD_LOG_INFO,
	       "port %s: id %u, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u, %u addresses, "
	       "checksum offload%s%s%s, kernel interface %s",
	       p->name, p->port_id, m[0], m[1], m[2], m[3], m[4], m[5], p->mtu, ci->naddrs,
	       p->reply_flags ? ":" : " none", p->reply_flags & FP_REPLY_IP4_CSUM_HW ? " ipv4" : "",
	       p->reply_flags & FP_REPLY_UDP_CSUM_HW ? " udp" : "", tap);
	return 0;
}

/*
 * Where the slow path runs: the CPUs the process started on.  Busy-polling
 * workers (idle-sleep-us 0) own their CPUs, so theirs are taken out; if
 * nothing is left, the main lcore's.  Napping workers leave their CPUs idle
 * most of the time, so the slow path may use them.  After rte_eal_init.
 */
static void slow_cpus(struct daemon *d)
{
	if (!d->have_cpus || d->conf->dataplane.idle_sleep_us != 0)
		return;
	unsigned l;
	RTE_LCORE_FOREACH_WORKER(l) {
		rte_cpuset_t w = rte_lcore_cpuset(l);
		for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &w))
				CPU_CLR(cpu, &d->cpus);
	}
	if (CPU_COUNT(&d->cpus) == 0)
		d->cpus = rte_lcore_cpuset(rte_get_main_lcore());
}

static int run(struct daemon *d)
{
	const struct conf *c = d->conf;
	char err[512];
	int eargc;
	char **eargv;
	int rc = dd_eal_args_split("dpdnsd", c->dataplane.eal, &eargc, &eargv);
	if (rc < 0) {
		dd_log(DD_LOG_ERR, "%s: dataplane.eal: %s", c->path, dp_strerror(rc));
		return 1;
	}
	d->zm = dd_zonemgr_new(c, err, sizeof(err));
	struct zone_table *t = d->zm ? dd_zonemgr_table(d->zm) : NULL;
	if (!t) {
		dd_log(DD_LOG_ERR, "%s", d->zm ? "out of memory" : err);
		dd_zonemgr_free(d->zm);
		d->zm = NULL;
		dd_eal_args_free(eargv);
		return 1;
	}
	unsigned nzones = t->nzones;
	/* rte_eal_init may permute argv; keep our copy to free. */
	char **eal_copy = calloc((size_t)eargc + 1, sizeof(*eal_copy));
	if (!eal_copy) {
		zone_table_free(t);
		dd_eal_args_free(eargv);
		return 1;
	}
	memcpy(eal_copy, eargv, (size_t)eargc * sizeof(*eal_copy));
	if (rte_eal_init(eargc, eal_copy) < 0) {
		dd_log(DD_LOG_ERR, "EAL initialisation failed (%s): %s", c->dataplane.eal,
		       rte_strerror(rte_errno));
		free(eal_copy);
		zone_table_free(t);
		dd_eal_args_free(eargv);
		return 1;
	}

	struct fp_dp_cfg dcfg = {
		.nb_rxd = c->dataplane.rx_queue_size,
		.nb_txd = c->dataplane.tx_queue_size,
		.mbufs = c->dataplane.mbufs,
		.idle_sleep_us = c->dataplane.idle_sleep_us,
		.ring_size = 1024,
	};
	zone_answer_cfg_init(&dcfg.answer);
	dcfg.answer.udp_payload = c->server.udp_payload;
	dcfg.answer.identity = c->server.identity;
	dcfg.answer.version = c->server.version;
	if (c->server.identity && strlen(c->server.identity) <= ANSWER_NSID_MAX) {
		dcfg.answer.nsid = (const uint8_t *)c->server.identity;
		dcfg.answer.nsid_len = (uint16_t)strlen(c->server.identity);
	}
	int code = 1;
	rc = fp_dp_init(&d->dp, &dcfg, err, sizeof(err));
	if (rc < 0) {
		dd_log(DD_LOG_ERR, "%s", err);
		zone_table_free(t);
		goto out_eal;
	}
	/* No reader runs yet: the first table needs no grace period. */
	d->dp.table = t;
	for (unsigned i = 0; i < c->dataplane.nifaces; i++)
		if (setup_port(d, i) < 0)
			goto out_dp;
	if (fp_dp_telemetry_register(&d->dp) < 0 || dd_telem_register(&d->dp) < 0)
		dd_log(DD_LOG_WARN, "telemetry commands not registered");
	rc = fp_dp_start(&d->dp, err, sizeof(err));
	if (rc < 0) {
		dd_log(DD_LOG_ERR, "%s", err);
		goto out_dp;
	}
	slow_cpus(d);
	d->slow = dd_slow_start(c, &d->dp, d->zm, d->have_cpus ? &d->cpus : NULL);
	if (!d->slow)
		goto out_dp;
	if (pthread_create(&d->control, NULL, control_main, d) != 0) {
		dd_log(DD_LOG_ERR, "cannot start the control thread");
		goto out_dp;
	}
	d->control_started = true;
	dd_log(DD_LOG_INFO, "ready: %u zones, %u ports, %u worker lcores, pid %ld", nzones,
	       d->dp.nports, d->dp.nworkers, (long)getpid());
	fp_service_main(&d->dp);
	code = 0;
out_dp:
	fp_dp_stop(&d->dp);
	if (d->control_started) {
		/* The control thread stopped us, or a start failure did: make it return. */
		pthread_kill(d->control, SIGTERM);
		pthread_join(d->control, NULL);
	}
	dd_slow_stop(d->slow);
	fp_dp_deinit(&d->dp);
	dd_zonemgr_free(d->zm);
	if (code == 0)
		log_stats(d);
out_eal:
	rte_eal_cleanup();
	free(eal_copy);
	dd_eal_args_free(eargv);
	dd_log(DD_LOG_INFO, "stopped");
	return code;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct daemon *d = calloc(1, sizeof(*d));
	bool check = false;
	int c;
	if (!d)
		return 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->conf_path = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'h':
			usage(stdout);
			free(d);
			return 0;
		default:
			usage(stderr);
			free(d);
			return 2;
		}
	}
	if (!d->conf_path || optind != argc) {
		usage(stderr);
		free(d);
		return 2;
	}
	block_signals();
	d->have_cpus = sched_getaffinity(0, sizeof(d->cpus), &d->cpus) == 0;
	/* libuv writes with writev(2): a reset TCP peer must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	char err[1024];
	int rc = conf_load(d->conf_path, &d->conf, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		free(d);
		return 1;
	}
	int code;
	if (check) {
		unsigned n = 0;
		char zerr[512];
		int eargc;
		char **eargv;
		/* The EAL parses its own options at start; here only the quoting can be checked. */
		rc = dd_eal_args_split("dpdnsd", d->conf->dataplane.eal, &eargc, &eargv);
		if (rc < 0) {
			fprintf(stderr, "%s: dataplane.eal: %s\n", d->conf_path, dp_strerror(rc));
			conf_free(d->conf);
			free(d);
			return 1;
		}
		dd_eal_args_free(eargv);
		struct dd_zonemgr *zm = dd_zonemgr_new(d->conf, zerr, sizeof(zerr));
		struct zone_table *t = zm ? dd_zonemgr_table(zm) : NULL;
		if (t) {
			n = t->nzones;
			printf("%s: configuration and %u zones OK\n", d->conf_path, n);
			zone_table_free(t);
			dd_zonemgr_free(zm);
			code = 0;
		} else {
			fprintf(stderr, "%s\n", zm ? "out of memory" : zerr);
			dd_zonemgr_free(zm);
			code = 1;
		}
	} else if ((rc = dd_log_open(d->conf->logs, d->conf->nlogs, err, sizeof(err))) < 0) {
		fprintf(stderr, "%s: %s\n", d->conf_path, err[0] ? err : dp_strerror(rc));
		code = 1;
	} else {
		code = run(d);
		dd_log_close();
	}
	conf_free(d->conf);
	free(d);
	return code;
}
