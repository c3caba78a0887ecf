/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clap-client.h"
#include "clap-media.h"
#include "clap-request.h"

G_BEGIN_DECLS

GFile    *clap_input_get_local_file          (const char    *value);
gboolean  clap_transfer_check_input          (ClapRequest   *request,
                                              ClapOption     slot,
                                              ClapMediaInfo *info,
                                              GCancellable  *cancellable,
                                              GError       **error);
gboolean  clap_transfer_check_inputs         (ClapRequest   *request,
                                              GCancellable  *cancellable,
                                              GError       **error);
void      clap_transfer_upload_inputs_async  (ClapClient          *client,
                                              ClapRequest         *request,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean  clap_transfer_upload_inputs_finish (ClapClient          *client,
                                              GAsyncResult        *result,
                                              GError             **error);

G_END_DECLS
