/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clap-client.h"
#include "clap-poller.h"
#include "clap-store.h"

G_BEGIN_DECLS

#define CLAP_TYPE_SESSION (clap_session_get_type ())
G_DECLARE_FINAL_TYPE (ClapSession, clap_session, CLAP, SESSION, GObject)

ClapSession *clap_session_new               (ClapStore    *store,
                                             ClapClient   *client,
                                             const char   *results_dir);
ClapStore   *clap_session_get_store         (ClapSession  *self);
ClapClient  *clap_session_get_client        (ClapSession  *self);
void         clap_session_set_client        (ClapSession  *self,
                                             ClapClient   *client);
ClapPoller  *clap_session_get_poller        (ClapSession  *self);
const char  *clap_session_get_results_dir   (ClapSession  *self);
void         clap_session_set_max_downloads (ClapSession  *self,
                                             guint         max_downloads);
const char  *clap_session_get_callback_url  (ClapSession  *self);
void         clap_session_set_callback_url  (ClapSession  *self,
                                             const char   *callback_url);

void         clap_session_set_cache_limits  (ClapSession  *self,
                                             guint64       max_bytes,
                                             guint         max_days);
void         clap_session_enforce_cache     (ClapSession  *self);

void         clap_session_submit            (ClapSession  *self,
                                             ClapRequest  *request,
                                             guint         n_takes);
gboolean     clap_session_can_retry         (ClapSession  *self,
                                             ClapTask     *task);
void         clap_session_retry             (ClapSession  *self,
                                             ClapTask     *task);
void         clap_session_resume            (ClapSession  *self);
guint        clap_session_get_n_elsewhere   (ClapSession  *self);
void         clap_session_download          (ClapSession  *self,
                                             ClapTask     *task);
void         clap_session_remove            (ClapSession  *self,
                                             ClapTask     *task);
gboolean     clap_session_hint              (ClapSession  *self,
                                             const char   *task_id);
guint        clap_session_get_n_busy        (ClapSession  *self);

G_END_DECLS
