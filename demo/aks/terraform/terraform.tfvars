environment                     = "prod"
node_count                      = 2
api_server_authorized_ip_ranges = ["203.0.113.0/24", "198.51.100.10/32"]
