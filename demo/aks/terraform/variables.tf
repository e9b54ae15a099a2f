variable "resource_group_location" {
  type        = string
  default     = "eastus"
  description = "Location of the resource group."
}

variable "resource_group_name_prefix" {
  type        = string
  default     = "rg"
  description = "Prefix of the resource group name that's combined with a random ID so name is unique in your Azure subscription."
}

variable "environment" {
  type        = string
  description = "Environment name (dev, prod)."
}

variable "kubernetes_version" {
  type    = string
  default = "1.30"
}

variable "node_count" {
  type        = number
  description = "The initial quantity of nodes for the node pool."
  default     = 3
}

variable "vm_size" {
  type    = string
  default = "Standard_D2_v2"
}

variable "username" {
  type        = string
  description = "The admin username for the new cluster."
  default     = "azureadmin"
}

variable "api_server_authorized_ip_ranges" {
  type        = list(string)
  description = "CIDR ranges allowed to reach the API server."
}

variable "admin_group_object_id" {
  type        = string
  description = "Entra ID group that administers the cluster."
}

variable "defender_enabled" {
  type    = bool
  default = true
}

variable "gpu_pool_enabled" {
  type    = bool
  default = false
}

variable "tags" {
  type = map(string)
  default = {
    owner = "platform"
  }
}
