package api

import "net/http"

// routes lists every route, one line each, in Apify's documentation order.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})

	s.handle("GET /v2/users/me", s.handleUserMe())
	s.handle("GET /v2/users/{userId}", s.handleUserGet())

	s.handle("GET /v2/datasets", s.handleStorageList(datasets))
	s.handle("POST /v2/datasets", s.handleStorageGetOrCreate(datasets))
	s.handle("GET /v2/datasets/{storageId}", s.handleStorageGet(datasets))
	s.handle("PUT /v2/datasets/{storageId}", s.handleStorageUpdate(datasets))
	s.handle("DELETE /v2/datasets/{storageId}", s.handleStorageDelete(datasets))
	s.handle("GET /v2/datasets/{storageId}/items", s.handleDatasetItemsGet())
	s.handle("POST /v2/datasets/{storageId}/items", s.handleDatasetItemsPush())
	s.handle("GET /v2/datasets/{storageId}/statistics", s.handleDatasetStatistics())

	s.handle("GET /v2/key-value-stores", s.handleStorageList(keyValueStores))
	s.handle("POST /v2/key-value-stores", s.handleStorageGetOrCreate(keyValueStores))
	s.handle("GET /v2/key-value-stores/{storageId}", s.handleStorageGet(keyValueStores))
	s.handle("PUT /v2/key-value-stores/{storageId}", s.handleStorageUpdate(keyValueStores))
	s.handle("DELETE /v2/key-value-stores/{storageId}", s.handleStorageDelete(keyValueStores))
	s.handle("GET /v2/key-value-stores/{storageId}/keys", s.handleRecordKeys())
	s.handle("GET /v2/key-value-stores/{storageId}/records", s.handleRecordsZip())
	s.handle("GET /v2/key-value-stores/{storageId}/records/{recordKey}", s.handleRecordGet())
	s.handle("PUT /v2/key-value-stores/{storageId}/records/{recordKey}", s.handleRecordPut())
	s.handle("POST /v2/key-value-stores/{storageId}/records/{recordKey}", s.handleRecordPut())
	s.handle("DELETE /v2/key-value-stores/{storageId}/records/{recordKey}", s.handleRecordDelete())

	s.handle("GET /v2/request-queues", s.handleStorageList(requestQueues))
	s.handle("POST /v2/request-queues", s.handleStorageGetOrCreate(requestQueues))
	s.handle("GET /v2/request-queues/{storageId}", s.handleStorageGet(requestQueues))
	s.handle("PUT /v2/request-queues/{storageId}", s.handleStorageUpdate(requestQueues))
	s.handle("DELETE /v2/request-queues/{storageId}", s.handleStorageDelete(requestQueues))
	s.handle("GET /v2/request-queues/{storageId}/requests", s.handleRequestsList())
	s.handle("POST /v2/request-queues/{storageId}/requests", s.handleRequestAdd())
	s.handle("POST /v2/request-queues/{storageId}/requests/batch", s.handleRequestsBatchAdd())
	s.handle("DELETE /v2/request-queues/{storageId}/requests/batch", s.handleRequestsBatchDelete())
	s.handle("POST /v2/request-queues/{storageId}/requests/unlock", s.handleRequestsUnlock())
	s.handle("GET /v2/request-queues/{storageId}/requests/{requestId}", s.handleRequestGet())
	s.handle("PUT /v2/request-queues/{storageId}/requests/{requestId}", s.handleRequestUpdate())
	s.handle("DELETE /v2/request-queues/{storageId}/requests/{requestId}", s.handleRequestDelete())
	s.handle("PUT /v2/request-queues/{storageId}/requests/{requestId}/lock", s.handleRequestLockProlong())
	s.handle("DELETE /v2/request-queues/{storageId}/requests/{requestId}/lock", s.handleRequestLockDelete())
	s.handle("GET /v2/request-queues/{storageId}/head", s.handleQueueHead())
	s.handle("POST /v2/request-queues/{storageId}/head/lock", s.handleQueueHeadLock())

	s.handle("/", s.notFoundOrNotAllowed)
}
