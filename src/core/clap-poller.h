/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clap-client.h"
#include "clap-task.h"

G_BEGIN_DECLS

#define CLAP_TYPE_POLLER (clap_poller_get_type ())
G_DECLARE_FINAL_TYPE (ClapPoller, clap_poller, CLAP, POLLER, GObject)

ClapPoller *clap_poller_new              (ClapClient *client);
ClapClient *clap_poller_get_client       (ClapPoller *self);
void        clap_poller_set_client       (ClapPoller *self,
                                          ClapClient *client);
void        clap_poller_set_interval     (ClapPoller *self,
                                          guint       first_ms,
                                          guint       max_ms);
void        clap_poller_set_link_interval (ClapPoller *self,
                                           guint       first_ms,
                                           guint       max_ms,
                                           guint       follow_ms);
void        clap_poller_set_max_in_flight (ClapPoller *self,
                                           guint       max_in_flight);
void        clap_poller_add              (ClapPoller *self,
                                          ClapTask   *task);
void        clap_poller_remove           (ClapPoller *self,
                                          ClapTask   *task);
void        clap_poller_poll_now         (ClapPoller *self,
                                          ClapTask   *task);
guint       clap_poller_get_n_active     (ClapPoller *self);
guint       clap_poller_get_n_in_flight  (ClapPoller *self);
gboolean    clap_poller_is_scheduled     (ClapPoller *self);
guint64     clap_poller_get_n_queries    (ClapPoller *self);
void        clap_poller_pause            (ClapPoller *self);
void        clap_poller_resume           (ClapPoller *self);
gboolean    clap_poller_is_paused        (ClapPoller *self);

G_END_DECLS
