/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clap-application.h"

G_BEGIN_DECLS

/* Tests give the application a session of their own, as start-up would. */
void _clap_application_set_session_for_tests (ClapApplication *self,
                                              ClapSession     *session);

G_END_DECLS
