# AKS cluster after the Microsoft Learn quickstart
# (learn.microsoft.com/azure/aks/learn/quick-kubernetes-deploy-terraform), hardened.

resource "random_pet" "rg_name" {
  prefix = var.resource_group_name_prefix
}

resource "azurerm_resource_group" "rg" {
  location = var.resource_group_location
  name     = random_pet.rg_name.id
}

resource "random_pet" "azurerm_kubernetes_cluster_dns_prefix" {
  prefix = "dns"
}

resource "azurerm_log_analytics_workspace" "aks" {
  name                = "law-${local.cluster_name}"
  location            = azurerm_resource_group.rg.location
  resource_group_name = azurerm_resource_group.rg.name
  sku                 = "PerGB2018"
  retention_in_days   = 30
}

resource "azurerm_user_assigned_identity" "aks" {
  name                = "id-${local.cluster_name}"
  location            = azurerm_resource_group.rg.location
  resource_group_name = azurerm_resource_group.rg.name
}

locals {
  cluster_name = "aks-${var.environment}"
  is_prod      = var.environment == "prod"
  tags         = merge(var.tags, { environment = var.environment })
}

resource "azurerm_kubernetes_cluster" "k8s" {
  location            = azurerm_resource_group.rg.location
  name                = local.cluster_name
  resource_group_name = azurerm_resource_group.rg.name
  dns_prefix          = random_pet.azurerm_kubernetes_cluster_dns_prefix.id
  kubernetes_version  = var.kubernetes_version
  sku_tier            = local.is_prod ? "Standard" : "Free"

  automatic_upgrade_channel    = "patch"
  node_os_upgrade_channel      = "NodeImage"
  local_account_disabled       = true
  oidc_issuer_enabled          = true
  workload_identity_enabled    = true
  azure_policy_enabled         = true
  image_cleaner_enabled        = true
  image_cleaner_interval_hours = 48
  run_command_enabled          = false

  api_server_access_profile {
    authorized_ip_ranges = var.api_server_authorized_ip_ranges
  }

  azure_active_directory_role_based_access_control {
    azure_rbac_enabled     = true
    admin_group_object_ids = [var.admin_group_object_id]
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.aks.id]
  }

  default_node_pool {
    name                         = "agentpool"
    vm_size                      = var.vm_size
    node_count                   = var.node_count
    only_critical_addons_enabled = true
    host_encryption_enabled      = true
    os_sku                       = "AzureLinux"
    zones                        = ["1", "2", "3"]

    upgrade_settings {
      max_surge = "10%"
    }
  }

  linux_profile {
    admin_username = var.username

    ssh_key {
      key_data = azapi_resource_action.ssh_public_key_gen.output.publicKey
    }
  }

  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    network_policy      = "cilium"
    network_data_plane  = "cilium"
    load_balancer_sku   = "standard"
    outbound_type       = "loadBalancer"
  }

  oms_agent {
    log_analytics_workspace_id      = azurerm_log_analytics_workspace.aks.id
    msi_auth_for_monitoring_enabled = true
  }

  dynamic "microsoft_defender" {
    for_each = var.defender_enabled ? [1] : []
    content {
      log_analytics_workspace_id = azurerm_log_analytics_workspace.aks.id
    }
  }

  key_vault_secrets_provider {
    secret_rotation_enabled  = true
    secret_rotation_interval = "2m"
  }

  maintenance_window_auto_upgrade {
    frequency   = "Weekly"
    interval    = 1
    duration    = 4
    day_of_week = "Sunday"
    start_time  = "02:00"
    utc_offset  = "+00:00"
  }

  tags = local.tags
}

resource "azurerm_kubernetes_cluster_node_pool" "user" {
  name                    = "user"
  kubernetes_cluster_id   = azurerm_kubernetes_cluster.k8s.id
  vm_size                 = var.vm_size
  auto_scaling_enabled    = true
  min_count               = 1
  max_count               = 5
  node_public_ip_enabled  = false
  host_encryption_enabled = true
  os_disk_type            = "Ephemeral"
  zones                   = ["1", "2", "3"]
  node_labels = {
    workload = "apps"
  }
  node_taints = ["workload=apps:NoSchedule"]
}

resource "azurerm_kubernetes_cluster_node_pool" "gpu" {
  count                 = var.gpu_pool_enabled ? 1 : 0
  name                  = "gpu"
  kubernetes_cluster_id = azurerm_kubernetes_cluster.k8s.id
  vm_size               = "Standard_NC6s_v3"
  node_count            = 1
}
