/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "clap-client.h"

G_BEGIN_DECLS

/* Shared by clap-client.c (calls, their attempts and redirect hops, JSON
 * answers) and clap-client-download.c (what a download does with its
 * answer). */

/* The one lock file of a folder that downloads are written to. */
#define _CLAP_DOWNLOAD_LOCK_NAME ".clapboard-downloads.lock"

typedef enum {
  _CLAP_CALL_JSON,
  _CLAP_CALL_PUT,
  _CLAP_CALL_DOWNLOAD,
} ClapCallKind;

/* One call, across its attempts; each attempt may follow a few redirects
 * ("hops"). The task data of the GTask that carries it. */
typedef struct {
  ClapClient      *client;
  ClapCallKind     kind;
  char            *method;
  char            *url;
  GBytes          *body;            /* JSON: the request body */
  gboolean         idempotent;      /* may be tried again */
  gboolean         check;           /* clap_client_check_async() */
  guint            attempt;
  gint64           retry_after_ms;

  /* The hop under way */
  char            *hop_method;
  char            *hop_url;
  guint            n_hops;
  SoupMessage     *message;
  GInputStream    *input;

  /* The last attempt, as clap_client_dup_exchange() gives it */
  gint64           sent_ms;         /* real time */
  gint64           started_us;      /* monotonic */
  gint64           answered_us;     /* when the final answer's headers came */
  JsonObject      *request_headers;
  JsonArray       *redirects;
  guint            status;
  GByteArray      *answer;          /* JSON, PUT: what was read of the body */
  char            *answer_note;     /* said instead of the body */

  /* _CLAP_CALL_PUT */
  GFile           *file;
  char            *content_type;
  goffset          file_size;
  GBytes          *file_bytes;

  /* _CLAP_CALL_DOWNLOAD */
  ClapDownloadKind download_kind;
  guint64          max_bytes;
  GFile           *destination;
  GFile           *part;
  ClapProgressFunc progress;
  gpointer         progress_data;
  GDestroyNotify   progress_notify;
  GOutputStream   *output;
  goffset          offset;          /* where the attempt resumes the .part */
  goffset          received;        /* bytes in the .part */
  goffset          total;           /* -1: unknown */
  int              lock_fd;
  GByteArray      *head;            /* the first bytes, until they are checked */
  gboolean         resumable;       /* the server answers Range requests */
  gboolean         space_checked;   /* the file system tells its free space */
  guint64          space_left;      /* may be written before the next check */
  gboolean         space_final;     /* ...and not a byte more */
  GBytes          *pending;         /* a chunk waiting for that check */
  gboolean         full_after_write;
} ClapCall;

GTask    *_clap_call_new               (ClapClient          *self,
                                        ClapCallKind         kind,
                                        const char          *method,
                                        const char          *url,
                                        gboolean             idempotent,
                                        gpointer             source_tag,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
void      _clap_call_send              (GTask               *task);
void      _clap_call_send_hop          (GTask               *task);
void      _clap_call_fail              (GTask               *task,
                                        GError              *error);
void      _clap_call_return_error      (GTask               *task,
                                        GError              *error);
void      _clap_call_return_boolean    (GTask               *task);
void      _clap_call_note_retry_after  (ClapCall            *call);
GError   *_clap_transport_error        (GError              *error);
SoupSession *_clap_client_get_soup_session (ClapClient       *self);
guint64   _clap_client_get_disk_reserve (ClapClient         *self,
                                         guint64             filesystem_size);
void      _clap_client_set_disk_reserve (ClapClient         *self,
                                         guint64             bytes);

void      _clap_download_begin_attempt (GTask               *task);
void      _clap_download_answered      (GTask               *task);
void      _clap_download_reset         (ClapCall            *call);
int       _clap_download_lock          (GFile               *destination,
                                        GError             **error);

G_END_DECLS
