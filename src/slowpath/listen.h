/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * A listening TCP socket for the slow path's servers (DNS over TCP, the
 * metrics endpoint), made with plain socket/bind/listen so that a failure
 * unwinds with close(2) alone; the caller wraps it in a libuv handle
 * (uv_tcp_open) once every socket it needs is listening.
 */

#include <sys/socket.h>

/*
 * Opens a non-blocking, close-on-exec TCP socket bound to a (IPv4 or IPv6,
 * with its port; port 0: an ephemeral one), SO_REUSEADDR, IPV6_V6ONLY for
 * IPv6, listening with backlog.  Returns the descriptor and the bound port
 * in *port, or a negative errno; nothing stays open on failure.  Any thread.
 */
int sp_listen_tcp(const struct sockaddr_storage *a, int backlog, int *port)
	__attribute__((warn_unused_result));
