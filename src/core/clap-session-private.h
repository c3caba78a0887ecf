/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clap-session.h"

G_BEGIN_DECLS

/* For tests: whether a failed download of @task is to be tried again
 * later (a full disk, a network down), rather than given up on (an
 * expired link, a body past its cap, something that is not a video). */
gboolean _clap_session_will_retry_download (ClapSession *self,
                                            ClapTask    *task);

G_END_DECLS
